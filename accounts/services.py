"""Writes for people: invitations, memberships, deactivation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.services import audit_record
from notifications.mail import absolute_url, email_queue

from . import hooks
from .models import Invitation, Membership, Role, User
from .permissions import can_invite


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationError(Exception):
    """An invitation link that cannot be used; the message says why."""


def _email(*, to: str, subject: str, template: str, context: dict, kind: str, sensitive: bool = False) -> None:
    """Account e-mail, rendered now and handed to the outbox (notifications.mail):
    sent after commit by a worker and retried, so a rolled-back change sends
    nothing and a mail outage never fails the action. ``sensitive`` bodies (a
    link that creates an account) are stored encrypted until sent."""
    body = render_to_string(template, {"PORTAL_NAME": settings.PORTAL_NAME, **context})
    email_queue(to=to, subject=subject, body=body, kind=kind, sensitive=sensitive)


def _sso_for(invitation):
    from .selectors import sso_for_invitation

    return sso_for_invitation(invitation)


@transaction.atomic
def invitation_create(
    *,
    inviter: User,
    email: str,
    role: str,
    agency_id: int | None = None,
    company_id: int | None = None,
    full_name: str = "",
) -> tuple[Invitation, str]:
    """Creates an invitation and e-mails its link once the transaction commits.

    Invitations belong to the organisation they invite into: an earlier
    pending invitation for the same address *into the same organisation* is
    revoked (the newest link is the only one that works); another
    organisation's pending invitation for that address is left alone.

    The answer never reveals whether the address already has an account: the
    invitation row is made either way (the inviter sees "sent", then "pending"
    until it expires). For an existing account no working link is sent;
    instead the account holder is told by e-mail that their organisation
    tried to invite them and that they can sign in as they are. Side effects:
    audit ``invitation.send`` (and ``invitation.existing_account``); the
    e-mail, with links on PORTAL_BASE_URL, goes through the outbox (sent after
    commit by a worker, retried). Returns the invitation and the raw token,
    stored only as a hash.
    """
    email = email.strip().lower()
    if role == Role.PROGRAM_ADMIN:
        agency_id = company_id = None
    elif role in (Role.AGENCY_LEAD, Role.AGENCY_REVIEWER):
        company_id = None
    elif role == Role.COMPANY_LIAISON:
        agency_id = None
    if not can_invite(inviter=inviter, role=role, agency_id=agency_id, company_id=company_id):
        raise PermissionDenied("You may not invite someone with this role to this organisation.")

    now = timezone.now()
    Invitation.objects.pending().filter(email__iexact=email, agency_id=agency_id, company_id=company_id).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        full_name=full_name.strip(),
        role=role,
        agency_id=agency_id,
        company_id=company_id,
        token_hash=token_hash(token),
        invited_by=inviter,
        created_at=now,
        expires_at=now + timedelta(days=settings.PORTAL_INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    audit_record(
        action="invitation.send",
        actor=inviter,
        target=invitation,
        payload={"email": email, "role": role, "agency_id": agency_id, "company_id": company_id},
    )

    from django.urls import reverse

    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        # The link would only fail ("an account exists"); tell the holder instead, and
        # record it where only the program office looks (the audit trail).
        audit_record(action="invitation.existing_account", actor=inviter, target=invitation, payload={"user_id": existing.pk})
        _email(
            to=existing.email,
            subject=f"An invitation to the {settings.PORTAL_NAME} for your address",
            template="accounts/email/invitation_existing_account.txt",
            context={"invitation": invitation, "user": existing, "url": absolute_url(reverse("account_login"))},
            kind="invitation",
        )
        return invitation, token

    path = reverse("invitation_accept", kwargs={"token": token})
    # The invitee learns the inviter's name only within one organisation (a
    # colleague); otherwise the organisation that invites them.
    same_org = (agency_id is not None and inviter.agency_id == agency_id) or (
        company_id is not None and inviter.company_id == company_id
    ) or (inviter.is_program_admin and role == Role.PROGRAM_ADMIN)
    inviter_label = inviter.get_full_name() if same_org else ("The program office" if inviter.is_program_admin else str(inviter.organisation))
    # The link is stored encrypted in the outbox until sent, and erased then.
    _email(
        to=email,
        subject=f"You are invited to the {settings.PORTAL_NAME}",
        template="accounts/email/invitation.txt",
        context={"invitation": invitation, "url": absolute_url(path), "inviter_label": inviter_label, "idp": _sso_for(invitation)},
        kind="invitation",
        sensitive=True,
    )
    return invitation, token


def invitation_for_token(*, token: str) -> Invitation:
    """The invitation behind a link, or InvitationError saying why it cannot be used."""
    invitation = Invitation.objects.select_related("agency", "company").filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationError("This invitation link is not valid. Ask the person who invited you for a new one.")
    if invitation.accepted_at:
        raise InvitationError("This invitation has already been used. Sign in with the account it created.")
    if invitation.revoked_at:
        raise InvitationError("This invitation was withdrawn or replaced by a newer one. Use the latest e-mail you received.")
    if invitation.expires_at <= timezone.now():
        raise InvitationError(
            f"This invitation expired on {timezone.localtime(invitation.expires_at):%B %-d, %Y}. "
            "Ask the person who invited you for a new one."
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    """Turns a valid invitation into an account with its membership.

    The invitation row is locked, so two tabs submitting the same link create
    one account. Side effects: the membership's groups are joined
    (membership_set); the address is recorded as verified for allauth.
    """
    invitation = invitation_for_token(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationError("This invitation has already been used. Sign in with the account it created.")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationError("An account with this e-mail address already exists. Sign in instead.")
    user = User(email=invitation.email, full_name=full_name.strip() or invitation.full_name)
    user.set_password(password)
    user.full_clean()
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    membership_set(user=user, role=invitation.role, agency_id=invitation.agency_id, company_id=invitation.company_id)
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    audit_record(action="invitation.accept", actor=user, target=invitation, payload={"role": invitation.role})
    return user


@transaction.atomic
def membership_set(
    *, user: User, role: str, agency_id: int | None = None, company_id: int | None = None, actor: User | None = None
) -> Membership:
    """Gives the user their one organisation and role.

    Side effects: the user joins the agency's leads group or the company's
    liaisons group (and leaves any other such group), which is how group
    object permissions follow the role; program admins become staff
    superusers, everyone else loses both flags. A reviewer who leaves their
    agency or role is taken off its reviews (``assignment_remove``: access
    revoked and recorded), so that no direct grant outlives the membership
    that justified it. Audit ``membership.set`` with the role, organisation
    and groups before and after, by ``actor`` (the program admin in the
    Django admin; none when an invitation is accepted).
    """
    from agencies.models import Agency
    from companies.models import Company

    membership = Membership.objects.filter(user=user).first() or Membership(user=user)
    before = {
        "role": membership.role or None,
        "agency_id": membership.agency_id,
        "company_id": membership.company_id,
        "groups": sorted(user.groups.values_list("name", flat=True)) if user.pk else [],
        "is_staff": user.is_staff,
    }
    membership.role = role
    membership.agency_id = agency_id
    membership.company_id = company_id
    membership.full_clean()
    membership.save()

    org_groups = list(Agency.objects.values_list("leads_group_id", flat=True)) + list(
        Company.objects.values_list("liaisons_group_id", flat=True)
    )
    user.groups.remove(*org_groups)
    if role == Role.AGENCY_LEAD:
        user.groups.add(Agency.objects.get(pk=agency_id).leads_group_id)
    elif role == Role.COMPANY_LIAISON:
        user.groups.add(Company.objects.get(pk=company_id).liaisons_group_id)

    is_admin = role == Role.PROGRAM_ADMIN
    if user.is_staff != is_admin or user.is_superuser != is_admin:
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    user.membership = membership
    if before["role"] == Role.AGENCY_REVIEWER and (role, agency_id) != (before["role"], before["agency_id"]):
        # A reviewer who changes agency or role leaves every review they were on:
        # the reviews app does it through its access services (accounts.hooks).
        for fn in hooks.reviewer_left_agency():
            fn(user=user, actor=actor)
    audit_record(
        action="membership.set",
        actor=actor,
        target=user,
        payload={
            "role": role,
            "agency_id": agency_id,
            "company_id": company_id,
            "before": before,
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "is_staff": user.is_staff,
        },
    )
    return membership


@transaction.atomic
def user_deactivate(*, user: User, actor: User) -> None:
    """Deactivates an account and ends every session it holds.

    The sessions are deleted now; even a session missed here is refused on
    its next request, since inactive users do not authenticate.
    """
    if not actor.is_program_admin:
        raise PermissionDenied("Only program admins deactivate accounts.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    from allauth.usersessions.models import UserSession

    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    audit_record(action="user.deactivate", actor=actor, target=user, payload={"sessions_ended": len(keys)})


@transaction.atomic
def user_reactivate(*, user: User, actor: User) -> None:
    """Lets a deactivated account sign in again (its grants and memberships
    were kept). Side effect: audit ``user.reactivate``."""
    if not actor.is_program_admin:
        raise PermissionDenied("Only program admins reactivate accounts.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(action="user.reactivate", actor=actor, target=user)
