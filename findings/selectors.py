"""Reads of findings, always through ``visible_to``."""


from django.db.models import Prefetch
from django.http import Http404

from documents.models import DocumentVersion
from documents.permissions import fetch_refusal
from reviews.querysets import get_in_visible_review_or_404

from .models import Finding, FindingComment, FindingEvent, FindingEvidence, FindingRevision, Sharing


def finding_list(*, user, review):
    return (
        Finding.objects.visible_to(user, review=review)
        .select_related("agency", "category", "author__membership__agency", "author__membership__company")
        .prefetch_related("taxonomy")
        .order_by("-created_at", "-id")
    )


def _sees_unshared_edits(user, finding) -> bool:
    """The finding's own agency and the program office see what was changed before it was shared."""
    return bool(getattr(user, "is_program_admin", False)) or getattr(user, "agency_id", None) == finding.agency_id


def finding_events(*, finding, user=None):
    """The finding's timeline (whoever sees the finding sees its moves; people are
    shown through accounts.people). Corrections made before sharing ("edit") only to
    the finding's agency and the program office (``user`` None: every event)."""
    qs = FindingEvent.objects.filter(finding=finding).select_related("actor__membership__agency", "actor__membership__company")
    if user is not None and not _sees_unshared_edits(user, finding):
        qs = qs.exclude(name="edit")
    return qs


def finding_revisions(*, user, finding) -> list[FindingRevision]:
    """The finding's edits, newest first, that ``user`` (who sees the finding) may see:
    the finding's agency and the program office every one; another agency those made
    while it was shared with the agencies or the company; the company those made while
    it was shared with the company. An unshared finding's corrections stay with its agency."""
    qs = FindingRevision.objects.filter(finding=finding).select_related(
        "actor__membership__agency", "actor__membership__company"
    )
    if not _sees_unshared_edits(user, finding):
        reached = [Sharing.COMPANY] if getattr(user, "is_company_liaison", False) else [Sharing.AGENCIES, Sharing.COMPANY]
        qs = qs.filter(sharing__in=reached)
    return list(qs.order_by("-number"))


def finding_get(*, user, pk: int) -> Finding:
    return get_in_visible_review_or_404(
        Finding.objects.select_related("review__model", "review__company", "agency", "category", "author__membership__agency", "author__membership__company", "shared_by__membership__agency").prefetch_related("taxonomy"), user=user, pk=pk
    )


def finding_comments(*, user, finding):
    return (
        FindingComment.objects.visible_to(user, review=finding.review_id)
        .filter(finding=finding)
        .select_related("author__membership__agency", "author__membership__company")
    )


def finding_links(*, user, finding) -> list[Finding]:
    """The findings linked with this one as the same problem that ``user`` may see
    (the company sees the agencies that found it; nobody learns of a finding they
    may not see)."""
    ids = set(Finding.objects.filter(duplicate_of=finding).values_list("pk", flat=True))
    if finding.duplicate_of_id:
        ids.add(finding.duplicate_of_id)
    if not ids:
        return []
    qs = Finding.objects.visible_to(user, review=finding.review_id)
    if getattr(user, "is_company_liaison", False):
        # The merged item: the duplicates are hidden from the company's lists, yet shared with it.
        qs = Finding.objects.filter(review_id=finding.review_id, sharing="company")
    return list(qs.filter(pk__in=ids).select_related("agency").order_by("created_at", "id"))


def duplicate_hints(*, standing, review) -> list[tuple[Finding, Finding, list[str]]]:
    """Possible duplicates on one review: pairs of findings of different agencies
    that share a taxonomy id and are not linked yet, with the shared ids. Only the
    program office sees them (``Standing.may_link_findings``): an agency never
    learns of another agency's unshared finding this way. Oldest first."""
    if not standing.may_link_findings:
        return []
    findings = list(
        Finding.objects.filter(review=review, duplicate_of__isnull=True)
        .exclude(status="draft")
        .select_related("agency")
        .order_by("created_at", "id")
    )
    codes: dict[int, set[str]] = {}
    for finding_id, code in Finding.taxonomy.through.objects.filter(finding__in=[f.pk for f in findings]).values_list(
        "finding_id", "taxonomyentry__code"
    ):
        codes.setdefault(finding_id, set()).add(code)
    hints = []
    for i, a in enumerate(findings):
        for b in findings[i + 1:]:
            if b.agency_id == a.agency_id:
                continue
            shared = sorted(codes.get(a.pk, set()) & codes.get(b.pk, set()))
            if shared:
                hints.append((a, b, shared))
    return hints


def finding_attachments(*, finding, user=None) -> list[FindingEvidence]:
    """The finding's evidence (its own and its retests'), each with its document's
    latest version as ``version``; whoever sees the finding sees its evidence.
    With ``user``: each with ``view_refusal`` and ``download_refusal`` — why
    that reader may not open the file in the browser or download it (None:
    they may), as the fetch views will answer (``fetch_refusal``), so the
    page offers only what will be served."""
    attachments = attachments_by_finding(finding_ids=[getattr(finding, "pk", finding)]).get(getattr(finding, "pk", finding), [])
    if user is not None:
        for attachment in attachments:
            version = attachment.version
            attachment.view_refusal = fetch_refusal(user, version, inline=True) if version else "No file."
            attachment.download_refusal = fetch_refusal(user, version, inline=False) if version else "No file."
    return attachments


def attachments_by_finding(*, finding_ids) -> dict[int, list[FindingEvidence]]:
    """The evidence of these findings (ids the caller read within the user's
    scope), per finding, oldest first, each with ``version`` (and its own
    marking): two statements whatever the number of findings."""
    attachments = list(
        FindingEvidence.objects.filter(finding_id__in=list(finding_ids))
        .select_related("document__marking", "agency", "added_by__membership__agency", "added_by__membership__company")
        .prefetch_related(Prefetch("document__versions", queryset=DocumentVersion.objects.select_related("marking")))
        .order_by("added_at", "id")
    )
    by_finding: dict[int, list[FindingEvidence]] = {}
    for attachment in attachments:
        versions = sorted(attachment.document.versions.all(), key=lambda v: -v.number)
        attachment.version = versions[0] if versions else None
        by_finding.setdefault(attachment.finding_id, []).append(attachment)
    return by_finding


def attachment_record(attachment: FindingEvidence) -> dict:
    """An attachment as the API and the JSON export give it: the adding agency
    (None: the program office), never the person; the latest version's file."""
    version = attachment.version
    return {
        "id": attachment.pk, "stage": attachment.stage, "title": attachment.document.title,
        "marking": str(attachment.document.marking), "agency": attachment.agency.acronym if attachment.agency_id else None,
        "added_at": attachment.added_at,
        "file_name": version.original_name if version else None, "size": version.size if version else None,
        "sha256": version.sha256 if version else None, "scan_status": version.scan_status if version else None,
    }


def evidence_get(*, user, pk: int) -> FindingEvidence:
    """One attachment, or 404 unless ``user`` may see its finding (Finding.visible_to)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    finding_id = FindingEvidence.objects.filter(pk=pk).values_list("finding_id", flat=True).first()
    if finding_id is None:
        raise Http404
    finding = finding_get(user=user, pk=finding_id)
    evidence = FindingEvidence.objects.select_related("document__marking", "document__review__company").get(pk=pk)
    evidence.finding = finding
    return evidence
