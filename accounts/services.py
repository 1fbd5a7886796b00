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
from portal.errors import NotAllowed, Refused
from notifications.mail import absolute_url, email_queue

from . import hooks
from .models import Invitation, Membership, Role, User
from .permissions import can_invite, may_manage_invitation, may_manage_person


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

    _invitation_email(invitation=invitation, token=token, inviter=inviter)
    return invitation, token


def _invitation_email(*, invitation: Invitation, token: str, inviter: User) -> None:
    """The invitation's e-mail, through the outbox: the link for a new address;
    for an address that already has an account, no working link but a notice
    to the holder (audit ``invitation.existing_account``)."""
    from django.urls import reverse

    email, role = invitation.email, invitation.role
    agency_id, company_id = invitation.agency_id, invitation.company_id
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
        return

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


def _invitation_locked(*, invitation_id: int, actor: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None or not may_manage_invitation(actor=actor, invitation=invitation):
        raise NotAllowed("You may not manage this invitation.")
    if invitation.accepted_at:
        raise Refused("This invitation was already used: its account exists.")
    if invitation.revoked_at:
        raise Refused("This invitation was already withdrawn or replaced by a newer one.")
    return invitation


@transaction.atomic
def invitation_resend(*, invitation_id: int, actor: User) -> tuple[Invitation, str]:
    """Sends a pending (or expired) invitation again with a new link.

    A new token replaces the old one (only its hash is stored, so the old link
    stops working) and the expiry starts again (``PORTAL_INVITATION_DAYS``);
    the address, role and organisation stay as they were. Refused for an
    invitation already used or revoked, and (NotAllowed) for one ``actor``
    could not send (``may_manage_invitation``). Side effects: audit
    ``invitation.resend``; the e-mail through the outbox, as when it was
    first sent. Returns the invitation and the new raw token.
    """
    invitation = _invitation_locked(invitation_id=invitation_id, actor=actor)
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    previous_expiry = invitation.expires_at
    invitation.token_hash = token_hash(token)
    invitation.expires_at = now + timedelta(days=settings.PORTAL_INVITATION_DAYS)
    invitation.full_clean()
    invitation.save(update_fields=["token_hash", "expires_at"])
    audit_record(
        action="invitation.resend",
        actor=actor,
        target=invitation,
        payload={"email": invitation.email, "previous_expiry": previous_expiry.isoformat(), "expires_at": invitation.expires_at.isoformat()},
    )
    _invitation_email(invitation=invitation, token=token, inviter=actor)
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation_id: int, actor: User) -> Invitation:
    """Withdraws a pending (or expired) invitation: its link stops working at
    once (``invitation_for_token`` refuses it, and single sign-on no longer
    finds it). Refused for an invitation already used or revoked, and
    (NotAllowed) for one ``actor`` could not send. Side effect: audit
    ``invitation.revoke``; no e-mail.
    """
    invitation = _invitation_locked(invitation_id=invitation_id, actor=actor)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(action="invitation.revoke", actor=actor, target=invitation, payload={"email": invitation.email})
    return invitation


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

    Allowed to program admins for anyone but themselves, and to an agency lead
    for their own agency's people other than themselves
    (``permissions.may_manage_person``; otherwise NotAllowed); refused for an
    account already deactivated. The sessions are deleted now; even a session
    missed here is refused on its next request, since inactive users do not
    authenticate. The membership, grants and assignments are kept (a
    reactivated account finds them again). Side effects: the user's API tokens
    are revoked (``api.receivers``); audit ``user.deactivate``.
    """
    user = User.objects.select_for_update(of=("self",)).select_related("membership").get(pk=user.pk)
    if not may_manage_person(actor=actor, person=user):
        raise NotAllowed("You may not deactivate this account.")
    if not user.is_active:
        raise Refused(f"{user.get_full_name()}'s account is already deactivated.")
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
    were kept; revoked API tokens stay revoked). The same people may do it as
    may deactivate (``permissions.may_manage_person``; otherwise NotAllowed);
    refused for an active account. Side effect: audit ``user.reactivate``."""
    user = User.objects.select_for_update(of=("self",)).select_related("membership").get(pk=user.pk)
    if not may_manage_person(actor=actor, person=user):
        raise NotAllowed("You may not reactivate this account.")
    if user.is_active:
        raise Refused(f"{user.get_full_name()}'s account is already active.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(action="user.reactivate", actor=actor, target=user)


@transaction.atomic
def user_time_zone_set(*, user: User, time_zone: str) -> User:
    """Sets the time zone the user's pages, e-mails and reminders show times in
    (an IANA name such as ``America/New_York``; anything zoneinfo does not know
    is refused, naming the field). Side effect: audit ``user.time_zone``.
    """
    from zoneinfo import available_timezones

    if time_zone not in available_timezones():
        raise Refused(f"Time zone “{time_zone}” is not a known time zone: choose one from the list.", field="time_zone")
    user = User.objects.select_for_update().get(pk=user.pk)
    before = str(user.time_zone)
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["time_zone"])
    audit_record(action="user.time_zone", actor=user, target=user, payload={"before": before, "after": time_zone})
    return user


@transaction.atomic
def user_keyboard_shortcuts_set(*, user: User, enabled: bool) -> User:
    """Turns the user's single-key shortcuts on or off (``/`` to the search
    box; the arrow keys in the search results are not single-key shortcuts
    and always work). Side effect: audit ``user.keyboard_shortcuts``, only
    when the setting changes."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.keyboard_shortcuts == enabled:
        return user
    user.keyboard_shortcuts = enabled
    user.full_clean(exclude=["password"])
    user.save(update_fields=["keyboard_shortcuts"])
    audit_record(action="user.keyboard_shortcuts", actor=user, target=user, payload={"before": not enabled, "after": enabled})
    return user
