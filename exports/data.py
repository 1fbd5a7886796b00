"""The JSON export of one review, cut to its reader (schema: ``exports/schemas/review-export-1.schema.json``).

``review_export(review=..., user=...)`` returns a plain dict holding every
object of the review the reader may see, read through the same
``visible_to`` querysets as the pages: a company's export holds only the
findings shared with the company, their non-internal comments, no
assignments and no person's name (people are shown with
``accounts.people.person_label``, so outsiders see the organisation).

The schema is versioned (``SCHEMA_VERSION``): a field added keeps the major
version, a field removed or changed in meaning raises it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from django.utils import timezone

from accounts.people import person_label

SCHEMA_VERSION = "1.2"  # 1.1: findings carry their lifecycle status, company response, retest and taxonomy; 1.2: their evidence files
SCHEMA_PATH = Path(__file__).with_name("schemas") / "review-export-1.schema.json"
SCHEMA_ID = "https://frontier-review-portal.example/schemas/review-export-1.schema.json"


@lru_cache(maxsize=1)
def export_schema() -> dict:
    """The JSON Schema (draft 2020-12) every export validates against."""
    return json.loads(SCHEMA_PATH.read_text())


def _dt(value) -> str | None:
    return value.isoformat() if value else None


def audience_of(user) -> dict:
    """Who an export is for: the program office, one agency, or the company (never a person)."""
    if user.is_program_admin:
        return {"kind": "program_office", "organisation": "Program office"}
    if user.is_company_liaison:
        return {"kind": "company", "organisation": str(user.organisation)}
    return {"kind": "agency", "organisation": str(user.organisation)}


def review_export(*, review, user) -> dict:
    """Every object of ``review`` that ``user`` may see, as the versioned JSON document.

    ``review`` is already known to be visible to ``user`` (the callers start
    from ``review_page_get``). Reads only; records nothing (see ``exports.services``).
    """
    from documents.models import Document, DocumentVersion
    from findings.models import Finding, FindingComment
    from findings.selectors import attachment_record, attachments_by_finding
    from readiness.models import ChecklistItem
    from reviews.selectors import review_assignments, review_extensions, review_timeline
    from rfis.models import InformationRequest, RfiMessage

    company = user.is_company_liaison
    people = ("membership__agency", "membership__company")

    def who(person):
        return person_label(person, viewer=user)

    def rel(prefix):
        return [f"{prefix}__{p}" for p in people]

    model = review.model
    doc = {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(),
        "audience": audience_of(user),
        "interim": review.status != "closed",
        "review": {
            "id": review.pk,
            "title": str(review),
            "status": review.status,
            "summary": review.summary,
            "created_at": _dt(review.created_at),
            "submitted_at": _dt(review.submitted_at),
            "window_start": _dt(review.window_start),
            "window_end": _dt(review.window_end),
            "closed_at": _dt(review.closed_at),
            "withdrawn_at": _dt(review.withdrawn_at),
            "withdrawal_reason": review.withdrawal_reason,
            "outcome_summary": review.outcome_summary,
            "recommendations": review.recommendations,
            "access_terms_version": review.access_terms_version,
        },
        "model": {
            "id": model.pk,
            "name": model.name,
            "version": model.version,
            "modality": model.modality,
            "capability_summary": model.capability_summary,
            "planned_release_date": model.planned_release_date.isoformat() if model.planned_release_date else None,
        },
        "company": {"id": review.company_id, "name": review.company.name},
        "agencies": [
            {"id": p.agency_id, "acronym": p.agency.acronym, "name": p.agency.name, "joined_at": _dt(p.joined_at)}
            for p in review.participations.select_related("agency").order_by("agency__acronym")
        ],
        "assignments": [],
        "timeline": [
            {"name": t.name, "from": t.source, "to": t.target, "at": _dt(t.at), "by": who(t.actor), "comment": t.comment}
            for t in review_timeline(review=review)
        ],
        "extensions": [
            {
                "id": e.pk, "agency": e.agency.acronym, "requested_by": who(e.requested_by), "days": e.days,
                "reason": e.reason, "status": e.status, "requested_at": _dt(e.created_at),
                "decided_by": who(e.decided_by) if e.decided_by_id else None, "decided_at": _dt(e.decided_at),
                "decision_comment": e.decision_comment, "previous_end": _dt(e.previous_end), "new_end": _dt(e.new_end),
            }
            for e in review_extensions(user=user, review=review).order_by("created_at", "id")
        ],
        "clock_stops": [
            {"rfi": s.rfi_id, "stopped_at": _dt(s.stopped_at), "resumed_at": _dt(s.resumed_at)}
            for s in review.clock_stops.order_by("stopped_at", "id")
        ],
        "documents": [],
        "rfis": [],
        "findings": [],
        "checklist": [],
        "certificates": [],
    }
    if not company:  # companies never see who reviews their model
        for a in review_assignments(user=user, review=review):
            doc["assignments"].append(
                {
                    "id": a.pk, "agency": a.agency.acronym, "reviewer": who(a.reviewer), "status": a.status,
                    "invited_at": _dt(a.invited_at), "responded_at": _dt(a.responded_at), "has_conflict": a.has_conflict,
                }
            )

    versions: dict[int, list] = {}
    for v in DocumentVersion.objects.visible_to(user, review=review).select_related(*rel("uploaded_by")).order_by("number"):
        versions.setdefault(v.document_id, []).append(
            {
                "id": v.pk, "number": v.number, "original_name": v.original_name, "bytes": v.size,
                "content_type": v.content_type, "sha256": v.sha256, "uploaded_at": _dt(v.uploaded_at),
                "uploaded_by": who(v.uploaded_by), "scan_status": v.scan_status,
            }
        )
    for d in Document.objects.visible_to(user, review=review).select_related("marking").order_by("kind", "title", "id"):
        doc["documents"].append(
            {
                "id": d.pk, "kind": d.kind, "title": d.title, "marking": d.marking.name,
                "downloads_allowed": d.marking.downloads_allowed, "created_at": _dt(d.created_at),
                "versions": versions.get(d.pk, []),
            }
        )

    messages: dict[int, list] = {}
    rfis = list(InformationRequest.objects.visible_to(user, review=review).select_related("agency", *rel("asked_by")).order_by("created_at", "id"))
    for m in RfiMessage.objects.filter(rfi__in=[r.pk for r in rfis]).select_related(*rel("author")).order_by("created_at", "id"):
        messages.setdefault(m.rfi_id, []).append(
            {"kind": m.kind, "side": m.side, "by": who(m.author), "body": m.body, "at": _dt(m.created_at)}
        )
    for r in rfis:
        doc["rfis"].append(
            {
                "id": r.pk, "agency": r.agency.acronym, "asked_by": who(r.asked_by), "subject": r.subject,
                "question": r.question, "due_at": _dt(r.due_at), "blocking": r.blocking, "status": r.status,
                "asked_at": _dt(r.created_at), "answered_at": _dt(r.answered_at), "closed_at": _dt(r.closed_at),
                "messages": messages.get(r.pk, []),
            }
        )

    comments: dict[int, list] = {}
    for c in FindingComment.objects.visible_to(user, review=review).select_related("agency", *rel("author")).order_by("created_at", "id"):
        row = {"side": c.side, "agency": c.agency.acronym if c.agency_id else None, "by": who(c.author), "body": c.body, "at": _dt(c.created_at)}
        if not company:
            row["internal"] = c.internal
        comments.setdefault(c.finding_id, []).append(row)
    findings = (
        Finding.objects.visible_to(user, review=review)
        .select_related("agency", "category", *rel("author"))
        .prefetch_related("taxonomy")
        .order_by("created_at", "id")
    )
    findings = list(findings)
    attachments = {
        finding_id: [{**attachment_record(a), "added_at": _dt(a.added_at)} for a in rows]
        for finding_id, rows in attachments_by_finding(finding_ids=[f.pk for f in findings]).items()
    }
    for f in findings:
        row = {
            "id": f.pk, "agency": f.agency.acronym, "title": f.title,
            "category": {"id": f.category_id, "name": f.category.name}, "severity": f.severity,
            "description": f.description, "evidence": f.evidence, "sharing": f.sharing, "status": f.status,
            "taxonomy": [
                {"catalogue": t.catalogue, "code": t.code, "name": t.name, "version": t.version}
                for t in sorted(f.taxonomy.all(), key=lambda t: (t.catalogue, t.position, t.code))
            ],
            "response": f.response or None, "response_rationale": f.response_rationale,
            "fix_planned_for": f.fix_planned_for.isoformat() if f.fix_planned_for else None,
            "risk_expires_at": _dt(f.risk_expires_at), "retest_result": f.retest_result or None,
            "closed_at": _dt(f.closed_at),
            "shared_at": _dt(f.shared_at), "recorded_at": _dt(f.created_at), "comments": comments.get(f.pk, []),
            "attachments": attachments.get(f.pk, []),
        }
        if not company:
            row["author"] = who(f.author)
        doc["findings"].append(row)

    for item in ChecklistItem.objects.visible_to(user, review=review).select_related("criterion", *rel("answered_by")).order_by("criterion__position", "id"):
        doc["checklist"].append(
            {
                "criterion": item.criterion.name, "mandatory": item.criterion.mandatory, "answer": item.answer or None,
                "note": item.note, "answered_by": who(item.answered_by) if item.answered_by_id else None,
                "answered_at": _dt(item.answered_at),
            }
        )
    for c in review.certificates.select_related("agency", *rel("certified_by")).order_by("certified_at", "id"):
        doc["certificates"].append(
            {"agency": c.agency.acronym, "certified_by": who(c.certified_by), "certified_at": _dt(c.certified_at), "statement": c.statement}
        )
    return doc


def export_validate(document: dict) -> None:
    """Raises ``jsonschema.ValidationError`` unless ``document`` matches the export schema."""
    import jsonschema

    jsonschema.validate(document, export_schema(), cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())


def export_json_bytes(document: dict) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode()
