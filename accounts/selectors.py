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

