from .models import Invitation


def invitation_list(*, user):
    """Invitations the user may see: all for admins, their organisation's for others."""
    qs = Invitation.objects.select_related("agency", "company", "invited_by")
    if user.is_program_admin:
        return qs
    if user.is_agency_lead:
        return qs.filter(agency_id=user.agency_id)
    if user.is_company_liaison:
        return qs.filter(company_id=user.company_id)
    return qs.none()


def people_list(*, user, limit: int = 200):
    """People of the viewer's scope — everyone, for program admins; their own
    agency's, for a lead; their own company's, for a liaison; nobody for a
    reviewer — each with ``sign_in_method`` ("NSA ICAM (single sign-on)",
    "Password + passkey …", from the sign-in app plugged in through
    accounts.hooks), ``status`` ("active" or "deactivated") and ``may_manage``
    (whether the viewer may deactivate or reactivate them). Three queries."""
    from .hooks import sign_in_methods
    from .models import User
    from .permissions import may_manage_person

    qs = User.objects.filter(membership__isnull=False).select_related("membership__agency", "membership__company")
    if user.is_agency_lead:
        qs = qs.filter(membership__agency_id=user.agency_id)
    elif user.is_company_liaison:
        qs = qs.filter(membership__company_id=user.company_id)
    elif not user.is_program_admin:
        return []
    people = list(qs.order_by("full_name", "email")[:limit])
    methods = sign_in_methods([p.pk for p in people])
    for person in people:
        person.sign_in_method = methods.get(person.pk, "")
        person.status = "active" if person.is_active else "deactivated"
        person.may_manage = may_manage_person(actor=user, person=person)
    return people


def invitations_outstanding(*, user, limit: int = 200):
    """Invitations of the viewer's scope (``invitation_list``) not yet used nor
    withdrawn — pending or expired — newest first, each with ``may_manage``
    (whether the viewer may resend or revoke it). One query."""
    invitations = invitation_list(user=user).filter(accepted_at__isnull=True, revoked_at__isnull=True)[:limit]
    return invitations_with_management(user=user, invitations=invitations)


def invitations_with_management(*, user, invitations) -> list:
    """``invitations`` as a list, each with ``may_manage`` (resend or revoke) for ``user``."""
    from .permissions import may_manage_invitation

    invitations = list(invitations)
    for invitation in invitations:
        invitation.may_manage = may_manage_invitation(actor=user, invitation=invitation)
    return invitations


def person_for_management(*, user, pk: int):
    """The person ``user`` may deactivate or reactivate, or None (out of scope: 404)."""
    from .models import User
    from .permissions import may_manage_person

    person = User.objects.select_related("membership__agency", "membership__company").filter(pk=pk).first()
    return person if person is not None and may_manage_person(actor=user, person=person) else None


def invitation_for_management(*, user, pk: int):
    """The invitation ``user`` may resend or revoke, or None (out of scope: 404)."""
    from .permissions import may_manage_invitation

    invitation = invitation_list(user=user).filter(pk=pk).first()
    return invitation if invitation is not None and may_manage_invitation(actor=user, invitation=invitation) else None


def sso_for_invitation(invitation):
    """The enabled identity provider of the invitation's organisation that routes its address, if any."""
    from .hooks import identity_provider_for_email

    idp = identity_provider_for_email(invitation.email)
    if idp is None or (idp.agency_id, idp.company_id) != (invitation.agency_id, invitation.company_id):
        return None
    return idp
