"""Reading the audit trail: program admins search it all; a review's own
history is shown to those who may see the review, trimmed to their role."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, TextField
from django.db.models.expressions import RawSQL

from .models import AuditEvent, AuditHead

# What the office's Search reads of each event: these columns and the details (payload).
SEARCHED_COLUMNS = ("action", "actor_label", "actor_organisation", "target_type", "target_label", "request_id")
# On PostgreSQL as one text: the expression of the pg_trgm index of migration 0003
# (the same text, so PostgreSQL uses it).
SEARCHED_TEXT = " || ' ' || ".join(f'"audit_auditevent"."{column}"' for column in SEARCHED_COLUMNS) + (
    """ || ' ' || ("audit_auditevent"."payload")::text"""
)


def _containing(qs, text: str):
    """``qs`` narrowed to events whose searched text holds ``text`` (case
    aside): on PostgreSQL through the trigram index, which a field's own
    ``icontains`` then confirms; elsewhere nothing is narrowed here."""
    if connection.vendor != "postgresql":
        return qs
    if "searched_text" not in qs.query.annotations:
        qs = qs.alias(searched_text=RawSQL(SEARCHED_TEXT, [], output_field=TextField()))
    return qs.filter(searched_text__icontains=text)


# What a company may read on its own review's history: the engagement's
# milestones and what was done with its material, never who at an agency did it.
# Exports (``export.``) included: the company sees that an agency exported, as the agency.
COMPANY_ACTIONS = ("review.", "document.", "rfi.", "terms.update", "extension.decide", "report.", "export.")
# Agency users see the review's milestones and every event by their own agency.
AGENCY_SHARED_ACTIONS = ("review.", "document.upload", "rfi.", "terms.update", "extension.")


def _prefix_q(prefixes) -> Q:
    q = Q()
    for p in prefixes:
        q |= Q(action__startswith=p) if p.endswith(".") else Q(action=p)
    return q


def audit_event_list(*, user, actor: str = "", organisation: str = "", target: str = "", action: str = "", since=None, until=None, q: str = ""):
    """The whole trail, filtered; program admins only (everyone else: nothing)."""
    if not (user.is_authenticated and user.is_active and user.is_program_admin):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.all()
    # Each field's words are found through the searched text's index, then in the field itself.
    if actor:
        qs = _containing(qs, actor).filter(actor_label__icontains=actor)
    if organisation:
        qs = _containing(qs, organisation).filter(actor_organisation__icontains=organisation)
    if target:
        if ":" in target:
            ttype, _, tid = target.partition(":")
            qs = qs.filter(target_type=ttype.strip(), target_id=tid.strip())
        else:
            qs = _containing(qs, target).filter(Q(target_label__icontains=target) | Q(target_type__icontains=target))
    if action:
        qs = qs.filter(action__startswith=action)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    if q:
        # The searched columns and the details (the words of a search, a value a change set),
        # case aside, anywhere in them; on SQLite (no such index) each column in turn.
        if connection.vendor == "postgresql":
            qs = _containing(qs, q)
        else:
            anywhere = Q(payload__icontains=q)
            for column in SEARCHED_COLUMNS:
                anywhere |= Q(**{f"{column}__icontains": q})
            qs = qs.filter(anywhere)
    qs = qs.order_by("-id")
    if not (actor or organisation or target or action or since or until or q):
        # The whole trail: its count is the chain head's (kept with each append), not a count of every event.
        qs.known_count = lambda: AuditHead.objects.filter(pk=1).values_list("events", flat=True).first() or 0
    return qs


def review_history(*, user, review):
    """Events on one review (already known visible to ``user``), as their role may see them.

    Companies see milestones and what happened to their material, attributed
    to organisations (the template shows ``actor_organisation`` to them, never
    the person); agency users see milestones and their own agency's events.
    """
    qs = (
        AuditEvent.objects.filter(review_id=review.pk)
        .select_related("actor__membership__agency", "actor__membership__company")
        .order_by("-id")
    )
    if user.is_program_admin:
        return qs
    if user.is_company_liaison:
        return qs.filter(_prefix_q(COMPANY_ACTIONS) | Q(action="finding.share", payload__to="company"))
    if user.is_agency_lead or user.is_agency_reviewer:
        own = str(user.organisation) if user.organisation else ""
        return qs.filter(
            _prefix_q(AGENCY_SHARED_ACTIONS)
            | Q(action="finding.share", payload__to__in=["agencies", "company"])
            | Q(actor_organisation=own)
        )
    return qs.none()
