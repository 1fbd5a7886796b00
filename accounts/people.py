"""How a person is shown to someone else: the one display rule.

A person is named only to their own organisation and to the program office.
Everyone else sees the organisation instead — companies see "NSA", never the
analyst; and on a review several agencies share, one agency sees the other
as "CISA", never its analysts or leads (agency personnel names are protected
information themselves). Program-office staff appear to outsiders as
"Program office".

Every surface that shows a person — pages (the ``{% person %}`` tag),
reports, notifications and e-mails, audit views, API fields — asks this
module, so a new surface cannot forget the rule. The person's membership
(and its agency or company) should be loaded with them.
"""

from __future__ import annotations

PROGRAM_OFFICE = "Program office"
SYSTEM = "System"


def _membership(user):
    return getattr(user, "membership", None) if user is not None else None


def same_organisation(person, viewer) -> bool:
    """Both belong to the same agency, the same company, or the program office."""
    a, b = _membership(person), _membership(viewer)
    if a is None or b is None:
        return False
    if a.agency_id or b.agency_id:
        return a.agency_id is not None and a.agency_id == b.agency_id
    if a.company_id or b.company_id:
        return a.company_id is not None and a.company_id == b.company_id
    return a.role == b.role  # both in the program office


def may_name(person, *, viewer) -> bool:
    """Whether ``viewer`` may see ``person``'s name and e-mail address."""
    if person is None or viewer is None:
        return False
    if getattr(viewer, "pk", None) is not None and viewer.pk == person.pk:
        return True
    if getattr(viewer, "is_program_admin", False):
        return True
    return same_organisation(person, viewer)


def organisation_label(person) -> str:
    """What outsiders see instead of the person: their agency's acronym, their
    company's name, or the program office."""
    membership = _membership(person)
    if membership is None:
        return PROGRAM_OFFICE
    if membership.agency_id:
        return membership.agency.acronym
    if membership.company_id:
        return membership.company.name
    return PROGRAM_OFFICE


def person_label(person, *, viewer) -> str:
    """The person's name for those who may know it, else their organisation;
    "System" for an act nobody performed (a scheduled task)."""
    if person is None:
        return SYSTEM
    if may_name(person, viewer=viewer):
        return person.get_full_name()
    return organisation_label(person)


def person_with_organisation(person, *, viewer) -> str:
    """"Riley Reviewer (NSA)" for those who may know the person; only "NSA" for
    the others (never "NSA (NSA)"); "System" for an act nobody performed."""
    label = person_label(person, viewer=viewer)
    if person is None:
        return label
    organisation = organisation_label(person)
    return label if label == organisation else f"{label} ({organisation})"


def possessive(name) -> str:
    """"NSA's", "Contoso Labs'": the possessive of an organisation's (or person's) name."""
    name = str(name)
    return f"{name}'" if name.endswith(("s", "S")) and not name.isupper() else f"{name}'s"


def person_email(person, *, viewer) -> str:
    """The e-mail address, only for those who may know the person."""
    return person.email if person is not None and may_name(person, viewer=viewer) else ""
