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
    """People of the viewer's organisation (everyone, for program admins), each with
    ``sign_in_method`` ("NSA ICAM (single sign-on)", "Password + passkey …",
    from the sign-in app plugged in through accounts.hooks)."""
    from .hooks import sign_in_methods
    from .models import User

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
    return people


def sso_for_invitation(invitation):
    """The enabled identity provider of the invitation's organisation that routes its address, if any."""
    from .hooks import identity_provider_for_email

    idp = identity_provider_for_email(invitation.email)
    if idp is None or (idp.agency_id, idp.company_id) != (invitation.agency_id, invitation.company_id):
        return None
    return idp
