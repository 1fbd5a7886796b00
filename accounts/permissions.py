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


def may_manage_person(*, actor, person) -> bool:
    """Whether ``actor`` may deactivate or reactivate ``person``'s account.

    Program admins manage everyone but themselves; an agency lead manages the
    people of their own agency (never a program admin, never someone of another
    organisation, never themselves). Nobody else manages accounts. Everyone
    outside this rule is out of scope (404 on the pages).
    """
    if not actor.is_active or person is None or person.pk == actor.pk:
        return False
    if actor.is_program_admin:
        return True
    if actor.is_agency_lead:
        membership = getattr(person, "membership", None)
        return (
            membership is not None
            and membership.role != Role.PROGRAM_ADMIN
            and membership.agency_id is not None
            and membership.agency_id == actor.agency_id
        )
    return False


def may_manage_invitation(*, actor, invitation) -> bool:
    """Whether ``actor`` may resend or revoke ``invitation``: whoever could send it
    now (``can_invite``: the program office any; a lead their agency's reviewers;
    a liaison their company's colleagues)."""
    return can_invite(inviter=actor, role=invitation.role, agency_id=invitation.agency_id, company_id=invitation.company_id)
