"""Who may invite whom, and who may manage people."""

from __future__ import annotations

from .models import Role


def can_invite(*, inviter, role: str, agency_id: int | None, company_id: int | None) -> bool:
    """Program admins invite anyone; a lead invites reviewers of their own
    agency; a liaison invites colleagues of their own company."""
    if not inviter.is_active:
        return False
    if inviter.is_program_admin:
        return True
    if inviter.is_agency_lead:
        return role == Role.AGENCY_REVIEWER and agency_id is not None and agency_id == inviter.agency_id
    if inviter.is_company_liaison:
        return role == Role.COMPANY_LIAISON and company_id is not None and company_id == inviter.company_id
    return False


def invitable_roles(*, inviter) -> list[tuple[str, str]]:
    if inviter.is_program_admin:
        return list(Role.choices)
    if inviter.is_agency_lead:
        return [(Role.AGENCY_REVIEWER.value, Role.AGENCY_REVIEWER.label)]
    if inviter.is_company_liaison:
        return [(Role.COMPANY_LIAISON.value, Role.COMPANY_LIAISON.label)]
    return []
