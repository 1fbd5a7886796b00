"""Writing findings: record, share, comment.

A finding starts internal to its author's agency; that agency's lead widens
it to the participating agencies or to the company (never narrows it).
Texts sent to the company never name the author.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from notifications.services import notification_send
from portal.errors import NotAllowed, Refused
from reviews.audience import review_audience
from reviews.models import Review
from reviews.standing import standing_of

from . import workflow
from .models import (
    DEFAULT_CATEGORIES,
    EvidenceStage,
    Finding,
    FindingEvidence,
    FindingCategory,
    FindingComment,
    FindingEvent,
    FindingRevision,
    FindingStatus,
    Response,
    RetestResult,
    Severity,
    Sharing,
    TaxonomyEntry,
)

WIDER = {Sharing.INTERNAL: 0, Sharing.AGENCIES: 1, Sharing.COMPANY: 2}


class FindingError(Refused):
    """A change the finding's state does not allow."""

    code = "invalid_transition"


def _url(finding) -> str:
    return reverse("finding_detail", kwargs={"pk": finding.pk})


def taxonomy_entries(codes) -> list[TaxonomyEntry]:
    """The catalogue entries for ``codes`` (ids such as "LLM01", "AML.T0051", "GAI-9",
    case-insensitive, duplicates ignored). An id that no shipped catalogue has, or
    one a newer release retired, is refused naming the field and the id."""
    wanted = []
    for code in codes or ():
        code = str(code).strip()
        if code and code.upper() not in [w.upper() for w in wanted]:
            wanted.append(code)
    if not wanted:
        return []
    found = {e.code.upper(): e for e in TaxonomyEntry.objects.filter(code__in=[*wanted, *(w.upper() for w in wanted)])}
    unknown = [w for w in wanted if w.upper() not in found]
    if unknown:
        raise ValidationError({"taxonomy": f"Unknown taxonomy id: {', '.join(unknown)}. Use an id of OWASP LLM Top 10 2025 (LLM01–LLM10), MITRE ATLAS (AML.T…) or NIST AI 600-1 (GAI-1–GAI-12)."})
    retired = [found[w.upper()].code for w in wanted if not found[w.upper()].active]
    if retired:
        raise ValidationError({"taxonomy": f"No longer in the current catalogue release: {', '.join(retired)}."})
    return [found[w.upper()] for w in wanted]


def _event(finding: Finding, *, name: str, source: str, actor, comment: str = "", detail: str = "") -> FindingEvent:
    event = FindingEvent(
        finding=finding, name=name, source=source, target=finding.status, actor=actor, comment=comment, detail=detail,
    )
    event.full_clean()
    event.save()
    return event


def _locked(finding_id: int, actor):
    """The finding, locked, and the actor's standing on its review read after the lock."""
    finding = Finding.objects.select_for_update().select_related("review__model", "review__company", "agency").get(pk=finding_id)
    standing = standing_of(user=actor, review=finding.review_id)
    standing.require_material()
    return finding, standing


@transaction.atomic
def finding_create(
    *, review_id: int, actor, title: str, category: FindingCategory | None, severity: str, description: str, evidence: str = "",
    taxonomy=(), draft: bool = False,
) -> Finding:
    """Records a finding (or, with ``draft``, a draft), internal to the actor's agency,
    classified by ``taxonomy`` ids of the shipped catalogues (an unknown id is refused).

    Side effects: the lifecycle's first event; a recorded finding notifies the
    agency's other people on the review; audit ``finding.create``.
    """
    review = Review.objects.select_for_update().select_related("model").get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not standing.may_record_finding:
        raise NotAllowed("Only the review's participating leads and accepted reviewers record findings, while it is under review.")
    standing.require_material()
    errors = {}
    if severity not in Severity.values:
        errors["severity"] = "Choose a severity."
    if category is None:
        errors["category"] = "Choose a category."
    try:
        entries = taxonomy_entries(taxonomy)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        entries = []
    if errors:
        raise ValidationError({k: v if isinstance(v, str) else " ".join(v) for k, v in errors.items()})
    finding = Finding(
        review=review, agency_id=actor.agency_id, author=actor, title=title.strip(), category=category,
        severity=severity, description=description.strip(), evidence=evidence.strip(),
        status=FindingStatus.DRAFT if draft else FindingStatus.RECORDED,
    )
    finding.full_clean()
    finding.save()
    finding.taxonomy.set(entries)
    _event(finding, name="create", source="", actor=actor)
    audit_record(
        action="finding.create", actor=actor, target=finding, review=review,
        payload={"title": finding.title, "severity": severity, "category": str(category), "taxonomy": [e.code for e in entries],
                 "draft": draft},
    )
    if draft:
        return finding
    notification_send(
        recipients=[u for u in review_audience(review=review, company=False, agency_ids=[finding.agency_id]) if u != actor],
        verb="finding.recorded",
        title=f"{review}: new {finding.get_severity_display().lower()} finding \"{finding.title}\"",
        url=_url(finding),
    )
    return finding


@transaction.atomic
def finding_share(*, finding_id: int, actor, sharing: str) -> Finding:
    """The author agency's lead widens a finding's audience (internal → agencies → company).

    Locks the finding row. Side effects: the newly included people are
    notified (the company learns the agency, never the author); audit
    ``finding.share``.
    """
    finding = Finding.objects.select_for_update().select_related("review__model", "agency").get(pk=finding_id)
    standing = standing_of(user=actor, review=finding.review_id)
    if not standing.may_share_finding(finding):
        raise NotAllowed("Only a lead of the finding's agency may share it.")
    standing.require_material()
    if sharing not in (Sharing.AGENCIES, Sharing.COMPANY):
        raise ValidationError({"sharing": "Choose who to share the finding with."})
    if finding.status == FindingStatus.DRAFT:
        raise FindingError("Record the draft before sharing it.")
    if WIDER[sharing] <= WIDER[finding.sharing]:
        raise FindingError(f"This finding is already {finding.get_sharing_display().lower()}.")
    previous = finding.sharing
    finding.sharing = sharing
    finding.shared_by = actor
    finding.shared_at = timezone.now()
    source = finding.status
    if finding.status == FindingStatus.RECORDED:
        finding.status = FindingStatus.SHARED
    finding.full_clean()
    finding.save()
    _event(finding, name="share", source=source, actor=actor, detail=finding.get_sharing_display())
    audit_record(action="finding.share", actor=actor, target=finding, review=finding.review, payload={"from": previous, "to": sharing})
    review = finding.review
    title = f"{review}: {finding.agency.acronym} shared a {finding.get_severity_display().lower()} finding \"{finding.title}\""
    if previous == Sharing.INTERNAL:
        others = review_audience(review=review, company=False).exclude(membership__agency_id=finding.agency_id)
        notification_send(recipients=others, verb="finding.shared", title=title, url=_url(finding))
    if sharing == Sharing.COMPANY:
        notification_send(recipients=review_audience(review=review, agencies=False), verb="finding.shared", title=title, url=_url(finding))
    return finding


@transaction.atomic
def finding_comment(*, finding_id: int, actor, body: str, internal: bool = True) -> FindingComment:
    """Adds a comment. Agency comments may be internal (their agency only);
    a company liaison's comment on a finding shared with the company is its
    response and is never internal. Side effect: audit ``finding.comment``;
    a company response notifies the author's agency.
    """
    finding = Finding.objects.select_related("review__model", "agency").get(pk=finding_id)
    standing = standing_of(user=actor, review=finding.review_id)
    side = standing.finding_comment_side(finding)
    if side is None:
        raise NotAllowed("You cannot comment on this finding.")
    standing.require_material()
    if not body.strip():
        raise ValidationError({"body": "Write the comment."})
    comment = FindingComment(
        finding=finding, author=actor, side=side, agency_id=actor.agency_id if side == "agency" else None,
        internal=internal if side == "agency" else False, body=body.strip(),
    )
    comment.full_clean()
    comment.save()
    audit_record(action="finding.comment", actor=actor, target=finding, review=finding.review, payload={"internal": comment.internal})
    if side == "company":
        notification_send(
            recipients=review_audience(review=finding.review, company=False, agency_ids=[finding.agency_id]),
            verb="finding.response",
            title=f"{finding.review}: {finding.review.company} responded to \"{finding.title}\"",
            url=_url(finding),
        )
    return comment


def _edit_snapshot(finding: Finding, entries=None) -> dict:
    """The edited fields as the revision history shows them (labels, not codes)."""
    codes = sorted(e.code for e in entries) if entries is not None else sorted(finding.taxonomy.values_list("code", flat=True))
    return {
        "title": finding.title, "severity": Severity(finding.severity).label if finding.severity in Severity.values else finding.severity,
        "category": str(finding.category), "description": finding.description, "evidence": finding.evidence, "taxonomy": codes,
    }


@transaction.atomic
def finding_edit(
    *, finding_id: int, actor, title: str, category: FindingCategory | None, severity: str, description: str,
    evidence: str = "", taxonomy=(),
) -> Finding:
    """The finding's agency changes it. Before it is shared (draft or recorded, internal)
    the change corrects it in place; once shared each change is a new numbered revision
    that everyone the finding is shared with sees as such (and is told of). A closed
    finding, or another agency's, cannot be changed. Locks the finding row.

    Side effects: a ``FindingRevision`` (who, when, each field from → to, the sharing
    then); an "edit" (before sharing) or "revise" event; audit ``finding.edit`` /
    ``finding.revise`` with the fields changed; after sharing, a notification to those
    outside the agency who see it. Nothing when nothing changed.
    """
    finding, standing = _locked(finding_id, actor)
    if not (standing.acts_for_agency and finding.agency_id == standing.agency_id):
        raise NotAllowed("Only the finding's agency edits it.")
    in_place = standing.may_edit_finding(finding)
    if not in_place and not standing.may_revise_finding(finding):
        raise FindingError(f"This finding is {finding.get_status_display().lower()}: it can no longer be changed.")
    errors = {}
    if severity not in Severity.values:
        errors["severity"] = "Choose a severity."
    if category is None:
        errors["category"] = "Choose a category."
    try:
        entries = taxonomy_entries(taxonomy)
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
        entries = []
    if errors:
        raise ValidationError(errors)
    before = _edit_snapshot(finding)
    finding.title, finding.category, finding.severity = title.strip(), category, severity
    finding.description, finding.evidence = description.strip(), evidence.strip()
    finding.full_clean()
    after = _edit_snapshot(finding, entries)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        return finding
    finding.save()
    finding.taxonomy.set(entries)
    number = (finding.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    revision = FindingRevision(
        finding=finding, number=number, actor=actor, sharing=finding.sharing, after_sharing=not in_place, changes=changes
    )
    revision.full_clean()
    revision.save()
    changed = sorted(changes)
    name = "edit" if in_place else "revise"
    _event(finding, name=name, source=finding.status, actor=actor,
           detail=(", ".join(changed) if in_place else f"revision {number}: {', '.join(changed)}")[:200])
    audit_record(
        action=f"finding.{name}", actor=actor, target=finding, review=finding.review,
        payload={"changed": changed, "revision": number},
    )
    if not in_place:
        review = finding.review
        title_text = f"{review}: {finding.agency.acronym} revised the finding \"{finding.title}\" (revision {number})"
        others = review_audience(review=review, company=False).exclude(membership__agency_id=finding.agency_id)
        notification_send(recipients=[u for u in others if u != actor], verb="finding.revised", title=title_text, url=_url(finding))
        if finding.sharing == Sharing.COMPANY:
            notification_send(
                recipients=review_audience(review=review, agencies=False), verb="finding.revised", title=title_text, url=_url(finding)
            )
    return finding


def _agency_side_recipients(finding, *, exclude=None):
    """Agency people on the review who see the finding: its own agency, and every
    participating agency once it is shared beyond it."""
    agency_ids = None if finding.sharing != Sharing.INTERNAL else [finding.agency_id]
    return [u for u in review_audience(review=finding.review, company=False, agency_ids=agency_ids) if u != exclude]


@transaction.atomic
def finding_record(*, finding_id: int, actor, comment: str = "") -> Finding:
    """Draft → recorded (still internal to the agency). Side effects: the event;
    the agency's people are notified; audit ``finding.record``."""
    finding, standing = _locked(finding_id, actor)
    workflow.check(finding=finding, name="record", standing=standing)
    source, finding.status = finding.status, FindingStatus.RECORDED
    finding.full_clean()
    finding.save()
    _event(finding, name="record", source=source, actor=actor, comment=comment.strip())
    audit_record(action="finding.record", actor=actor, target=finding, review=finding.review, payload={})
    notification_send(
        recipients=_agency_side_recipients(finding, exclude=actor), verb="finding.recorded",
        title=f"{finding.review}: new {finding.get_severity_display().lower()} finding \"{finding.title}\"", url=_url(finding),
    )
    return finding


@transaction.atomic
def finding_respond(
    *, finding_id: int, actor, response: str, rationale: str = "", fix_planned_for: date | None = None,
    risk_expires_at: datetime | None = None,
) -> Finding:
    """The company's formal response to a finding shared with it: acknowledged;
    fix planned (with a date); fixed; risk accepted (with a rationale and an
    expiry, when the finding reopens); disputed (with a rationale). A new
    response replaces the last one and asks for a new retest.

    Side effects: the event (with the rationale as its comment); the agencies
    that see the finding are notified (the company is named, never its
    liaison); audit ``finding.respond``.
    """
    finding, standing = _locked(finding_id, actor)
    workflow.check(finding=finding, name="respond", standing=standing)
    rationale = rationale.strip()
    errors = {}
    if response not in Response.values:
        errors["response"] = "Choose a response."
    if response == Response.FIX_PLANNED:
        if fix_planned_for is None:
            errors["fix_planned_for"] = "Give the date the fix is planned for."
        elif fix_planned_for < timezone.localdate():
            errors["fix_planned_for"] = "The planned date must not be in the past."
    if response in (Response.RISK_ACCEPTED, Response.DISPUTED) and not rationale:
        errors["rationale"] = "Explain why (a rationale is required for this response)."
    if response == Response.RISK_ACCEPTED:
        if risk_expires_at is None:
            errors["risk_expires_at"] = "Give the date the risk acceptance expires."
        elif risk_expires_at <= timezone.now():
            errors["risk_expires_at"] = "The expiry must be in the future."
    if errors:
        raise ValidationError(errors)
    source = finding.status
    finding.status = FindingStatus.RESPONDED
    finding.response = response
    finding.response_rationale = rationale
    finding.fix_planned_for = fix_planned_for if response == Response.FIX_PLANNED else None
    finding.risk_expires_at = risk_expires_at if response == Response.RISK_ACCEPTED else None
    finding.retest_result = ""
    finding.full_clean()
    finding.save()
    detail = finding.get_response_display()
    if finding.fix_planned_for:
        detail += f" for {finding.fix_planned_for:%Y-%m-%d}"
    if finding.risk_expires_at:
        detail += f" until {timezone.localtime(finding.risk_expires_at):%Y-%m-%d}"
    _event(finding, name="respond", source=source, actor=actor, comment=rationale, detail=detail)
    audit_record(action="finding.respond", actor=actor, target=finding, review=finding.review, payload={"response": response})
    notification_send(
        recipients=_agency_side_recipients(finding), verb="finding.response",
        title=f"{finding.review}: {finding.review.company} responded to \"{finding.title}\": {detail}", url=_url(finding),
    )
    return finding


@transaction.atomic
def finding_retest(*, finding_id: int, actor, result: str, comment: str = "") -> Finding:
    """An agency that sees the finding retests it after the company's response:
    verified fixed, or still present. Side effects: the event; the finding's
    agency (and the company, when shared with it) are notified; audit
    ``finding.retest``."""
    finding, standing = _locked(finding_id, actor)
    workflow.check(finding=finding, name="retest", standing=standing)
    if result not in RetestResult.values:
        raise ValidationError({"result": "Choose the retest's result."})
    source = finding.status
    finding.status = FindingStatus.RETESTED
    finding.retest_result = result
    finding.full_clean()
    finding.save()
    agency = standing_agency_acronym(actor)
    _event(finding, name="retest", source=source, actor=actor, comment=comment.strip(), detail=finding.get_retest_result_display())
    audit_record(action="finding.retest", actor=actor, target=finding, review=finding.review, payload={"result": result})
    title = f"{finding.review}: {agency} retested \"{finding.title}\": {finding.get_retest_result_display().lower()}"
    recipients = _agency_side_recipients(finding, exclude=actor)
    if finding.sharing == Sharing.COMPANY:
        recipients += list(review_audience(review=finding.review, agencies=False))
    notification_send(recipients=recipients, verb="finding.retested", title=title, url=_url(finding))
    return finding


def standing_agency_acronym(user) -> str:
    membership = getattr(user, "membership", None)
    return membership.agency.acronym if membership is not None and membership.agency_id else "Program office"


@transaction.atomic
def finding_close(*, finding_id: int, actor, comment: str) -> Finding:
    """A lead of the finding's agency (or a program admin) closes it, saying why.
    Refused while the company reports it fixed without a verifying retest, or
    the last retest found it still present. Side effects: the event; the agency
    side (and the company, when shared with it) are notified; audit ``finding.close``."""
    finding, standing = _locked(finding_id, actor)
    workflow.check(finding=finding, name="close", standing=standing)
    if not comment.strip():
        raise ValidationError({"comment": "Say why the finding is closed."})
    source = finding.status
    finding.status = FindingStatus.CLOSED
    finding.closed_at = timezone.now()
    finding.full_clean()
    finding.save()
    _event(finding, name="close", source=source, actor=actor, comment=comment.strip())
    audit_record(action="finding.close", actor=actor, target=finding, review=finding.review, payload={"from": source})
    recipients = _agency_side_recipients(finding, exclude=actor)
    if finding.sharing == Sharing.COMPANY:
        recipients += list(review_audience(review=finding.review, agencies=False))
    notification_send(recipients=recipients, verb="finding.closed", title=f"{finding.review}: finding \"{finding.title}\" closed", url=_url(finding))
    return finding


@transaction.atomic
def finding_link_duplicate(*, finding_id: int, duplicate_id: int, actor) -> Finding:
    """The program office links another agency's finding of the same problem
    (``duplicate_id``) to ``finding_id``. Both rows are locked (in id order).
    Once both are shared with the company it sees one item (the finding) that
    names both agencies; agencies see the link only where they see both
    findings. Side effects: a "link" event on the duplicate; audit ``finding.link``."""
    first, second = sorted([int(finding_id), int(duplicate_id)])
    rows = {f.pk: f for f in Finding.objects.select_for_update().select_related("review__model", "agency").filter(pk__in=[first, second]).order_by("pk")}
    if len(rows) != 2 or finding_id == duplicate_id:
        raise ValidationError({"duplicate": "Choose another finding of the same review."})
    finding, duplicate = rows[int(finding_id)], rows[int(duplicate_id)]
    standing = standing_of(user=actor, review=finding.review_id)
    if not standing.may_link_findings:
        raise NotAllowed("Only the program office links duplicate findings.")
    if duplicate.review_id != finding.review_id:
        raise ValidationError({"duplicate": "Choose another finding of the same review."})
    if duplicate.agency_id == finding.agency_id:
        raise FindingError("Both findings are the same agency's; duplicates link findings of different agencies.")
    if finding.duplicate_of_id or duplicate.duplicates.exists():
        raise FindingError("Link to the finding the others are linked to.")
    if duplicate.duplicate_of_id:
        raise FindingError("This finding is already linked as a duplicate.")
    duplicate.duplicate_of = finding
    duplicate.full_clean()
    duplicate.save()
    _event(duplicate, name="link", source=duplicate.status, actor=actor, detail=f"Same problem as finding #{finding.pk} ({finding.agency.acronym})")
    audit_record(action="finding.link", actor=actor, target=duplicate, review=finding.review, payload={"duplicate_of": finding.pk})
    return duplicate


def finding_reopen_expired_risks(*, now: datetime | None = None) -> int:
    """Reopens every finding whose accepted risk has expired (responded or closed
    with "risk accepted" and an expiry that has passed): back to shared, the
    response cleared, so the company responds again. One transaction per
    finding, each under its row lock, so a repeat run or a second worker finds
    nothing left to do. Side effects: an "expire" event by the portal (no actor);
    the agencies that see it and the company are notified; audit ``finding.risk_expired``.
    Returns how many reopened."""
    now = now or timezone.now()
    due = list(
        Finding.objects.filter(response=Response.RISK_ACCEPTED, risk_expires_at__lte=now)
        .exclude(status=FindingStatus.DRAFT).values_list("pk", flat=True)
    )
    reopened = 0
    for pk in due:
        with transaction.atomic():
            finding = (
                Finding.objects.select_for_update().select_related("review__model", "review__company", "agency")
                .filter(pk=pk, response=Response.RISK_ACCEPTED, risk_expires_at__lte=now).first()
            )
            if finding is None:
                continue
            source, expired_at = finding.status, finding.risk_expires_at
            finding.status = FindingStatus.SHARED
            finding.response = ""
            finding.risk_expires_at = None
            finding.closed_at = None
            finding.full_clean()
            finding.save()
            _event(
                finding, name="risk_expired", source=source, actor=None,
                detail=f"Risk acceptance expired {timezone.localtime(expired_at):%Y-%m-%d}",
            )
            audit_record(action="finding.risk_expired", actor=None, actor_label="System", target=finding, review=finding.review, payload={"from": source})
            recipients = _agency_side_recipients(finding)
            if finding.sharing == Sharing.COMPANY:
                recipients += list(review_audience(review=finding.review, agencies=False))
            notification_send(
                recipients=recipients, verb="finding.reopened",
                title=f"{finding.review}: the accepted risk of \"{finding.title}\" expired; the finding is open again",
                url=_url(finding),
            )
            reopened += 1
    return reopened


def ensure_default_categories() -> None:
    """The seed catalogue (also a data migration); idempotent."""
    for position, name in enumerate(DEFAULT_CATEGORIES):
        FindingCategory.objects.get_or_create(name=name, defaults={"position": position})


@transaction.atomic
def evidence_add(*, finding_id: int, actor, file, original_name: str, marking, stage: str = EvidenceStage.FINDING, title: str = "") -> FindingEvidence:
    """Attaches ``file`` to the finding (``stage`` "finding") or to its retest ("retest")
    as an evidence document: hashed, type-checked, scanned, marked and logged like every
    document (documents.services.evidence_document_create), visible exactly to those
    who see the finding. An evaluation log (Inspect ``.json`` or ``.eval``) gets its
    task, model and scores read as JSON data (findings.evallogs); one that cannot be
    read is kept and marked not readable. Side effects: the stored file, audit
    ``document.upload`` and ``finding.evidence``, a scan queued after commit.
    Refused (NotAllowed) when the actor's standing does not allow it.
    """
    from documents.services import evidence_document_create

    from .evallogs import summarise

    if stage not in EvidenceStage.values:
        raise ValidationError({"stage": "Choose whether the evidence belongs to the finding or to a retest."})
    finding, standing = _locked(finding_id, actor)
    if not standing.may_attach_evidence(finding, retest=stage == EvidenceStage.RETEST):
        raise NotAllowed(
            "Only an agency that may retest this finding attaches retest evidence, once the company has responded."
            if stage == EvidenceStage.RETEST
            else "Only the finding's own agency attaches evidence to it, until it closes."
        )
    version = evidence_document_create(
        review=finding.review, actor=actor, title=title, marking=marking, file=file, original_name=original_name
    )
    summary = summarise(file, content_type=version.content_type, name=original_name) or {}
    evidence = FindingEvidence(
        finding=finding, document=version.document, stage=stage, added_by=actor, agency_id=actor.agency_id, log_summary=summary,
    )
    evidence.full_clean()
    evidence.save()
    audit_record(
        action="finding.evidence", actor=actor, target=finding, review=finding.review,
        payload={"document": version.document_id, "stage": stage, "sha256": version.sha256},
    )
    return evidence
