"""The closing report, built per audience: PDF (ReportLab, laid out in ``exports.report_pdf``) and CSV.

``report_for(review=..., user=...)`` collects only what ``user`` may see,
through the same ``visible_to`` querysets as the pages: a company's version
holds the findings shared with the company, without authors, internal
comments or reviewer names; agency and admin versions name people.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.utils import timezone

from accounts.people import may_name, person_label

from .report_parts import file_size, label, report_sections


@dataclass
class Report:
    review: object
    audience: str
    generated_at: object
    interim: bool
    outcome_summary: str
    recommendations: str
    findings: list[dict] = field(default_factory=list)
    findings_by_status: list[dict] = field(default_factory=list)
    findings_by_taxonomy: list[dict] = field(default_factory=list)
    checklist: list[dict] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    certificates: list[dict] = field(default_factory=list)
    sign_offs: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)


def report_for(*, review, user) -> Report:
    from findings.models import Finding, FindingComment
    from readiness.models import ChecklistItem

    company = user.is_company_liaison
    findings = (
        Finding.objects.visible_to(user, review=review).select_related("agency", "category", "author__membership__agency", "author__membership__company")
        .prefetch_related("taxonomy").order_by("created_at", "id")
    )
    comments = {}
    for c in FindingComment.objects.visible_to(user, review=review).select_related(
        "author__membership__agency", "author__membership__company"
    ):
        comments.setdefault(c.finding_id, []).append(f"{person_label(c.author, viewer=user)}: {c.body}")
    report = Report(
        review=review,
        audience="company" if company else ("program office" if user.is_program_admin else str(user.organisation)),
        generated_at=timezone.now(),
        interim=review.status != "closed",
        outcome_summary=review.outcome_summary,
        recommendations=review.recommendations,
    )
    findings = list(findings)
    files = _evidence_files(findings)
    by_status: dict[str, int] = {}
    by_taxonomy: dict[str, dict] = {}
    for f in findings:
        codes = [e for e in f.taxonomy.all()]
        status = f.get_status_display() + (f" ({f.get_response_display().lower()})" if f.response else "")
        by_status[status] = by_status.get(status, 0) + 1
        for e in codes:
            entry = by_taxonomy.setdefault(e.code, {"taxonomy": f"{e.code} {e.name}", "catalogue": f"{e.get_catalogue_display()} {e.version}", "findings": 0})
            entry["findings"] += 1
        row = {
            "title": f.title,
            "severity": f.get_severity_display(),
            "category": str(f.category),
            "taxonomy": ", ".join(e.code for e in codes),
            "status": status,
            "retest": f.get_retest_result_display() if f.retest_result else "",
            "agency": f.agency.acronym,
            "description": f.description,
            "evidence": f.evidence,
            "files": "\n".join(files.get(f.pk, [])),
            "comments": " | ".join(comments.get(f.pk, [])),
        }
        if not company:
            row["author"] = person_label(f.author, viewer=user)
            row["sharing"] = f.get_sharing_display()
        report.findings.append(row)
    report.findings_by_status = [{"status": k, "findings": v} for k, v in sorted(by_status.items())]
    report.findings_by_taxonomy = [by_taxonomy[k] for k in sorted(by_taxonomy)]
    for item in ChecklistItem.objects.visible_to(user, review=review).select_related(
        "criterion", "agency", "answered_by__membership__agency", "answered_by__membership__company"
    ):
        row = {
            "agency": item.agency.acronym,
            "criterion": item.criterion.name,
            "mandatory": "yes" if item.criterion.mandatory else "no",
            "answer": item.get_answer_display() if item.answer else "Unanswered",
            "note": item.note,
        }
        if not company:
            row["answered_by"] = person_label(item.answered_by, viewer=user) if item.answered_by else ""
        report.checklist.append(row)
    for t in review.transitions.select_related("actor__membership__agency", "actor__membership__company"):
        report.timeline.append(
            {"at": timezone.localtime(t.at).strftime("%Y-%m-%d %H:%M %Z"), "event": t.label, "by": person_label(t.actor, viewer=user), "comment": t.comment}
        )
    from documents.models import DocumentVersion

    versions = (
        DocumentVersion.objects.visible_to(user, review=review)
        .select_related("document__marking", "marking")
        .order_by("document__kind", "document__title", "number")
    )
    for v in versions:
        report.documents.append(
            {
                "document": v.document.title,
                "kind": v.document.get_kind_display(),
                "marking": str(v.marking),
                "version": v.number,
                "file": v.original_name,
                "bytes": v.size,
                "sha256": v.sha256,
                "uploaded": timezone.localtime(v.uploaded_at).strftime("%Y-%m-%d %H:%M %Z"),
                "scan": v.get_scan_status_display(),
            }
        )
    for c in review.certificates.select_related("agency", "certified_by__membership__agency", "certified_by__membership__company"):
        row = {
            "agency": c.agency.acronym,
            "certified_at": timezone.localtime(c.certified_at).strftime("%Y-%m-%d %H:%M %Z"),
            "material": c.get_kind_display(),
            "method": c.method,
            "date": c.done_on.isoformat() if c.done_on else "",
            "scope": c.get_scope_display(),
            "exceptions": c.exceptions,
            "statement": c.statement,
        }
        if not company:
            row["certified_by"] = person_label(c.certified_by, viewer=user)
        # The signatory is a person: named only where the signer may be (accounts.people).
        row["signatory"] = f"{c.signatory_name}, {c.signatory_title}" if c.signatory_name and may_name(c.certified_by, viewer=user) else ""
        report.certificates.append(row)
    for s in review.sign_offs.select_related("agency", "signed_by__membership__agency", "signed_by__membership__company").order_by(
        "agency__acronym"
    ):
        report.sign_offs.append(
            {
                "agency": s.agency.acronym,
                "conclusion": s.get_conclusion_display(),
                "summary": s.summary,
                "recommendations": s.recommendations,
                "signed_at": timezone.localtime(s.signed_at).strftime("%Y-%m-%d %H:%M %Z"),
                "by": person_label(s.signed_by, viewer=user),
            }
        )
    return report


def _evidence_files(findings) -> dict[int, list[str]]:
    """Each finding's evidence files as lines of the report (findings.selectors:
    the same attachments as the API and the JSON export, for findings the
    reader sees): title, file, size, SHA-256, scan, stage, the adding agency —
    never the person."""
    from findings.selectors import attachments_by_finding

    lines: dict[int, list[str]] = {}
    for finding_id, attachments in attachments_by_finding(finding_ids=[f.pk for f in findings]).items():
        for a in attachments:
            v = a.version
            by = a.agency.acronym if a.agency_id else "the program office"
            added = timezone.localtime(a.added_at).strftime("%Y-%m-%d")
            file = (f"{v.original_name} ({file_size(v.size)}), SHA-256 {v.sha256}, scan: {v.get_scan_status_display().lower()}"
                    if v else "no file")
            lines.setdefault(finding_id, []).append(
                f"{a.document.title}: {file}; {a.get_stage_display().lower()} evidence added by {by} on {added}"
            )
    return lines


def report_csv(report: Report) -> str:
    from portal.exports import csv_writer

    out = io.StringIO()
    w = csv_writer(out)  # cells that would start a formula are neutralised
    r = report.review
    w.writerow(["Closing report" + (" (interim)" if report.interim else ""), f"{r.model} review #{r.pk}", f"for {report.audience}"])
    w.writerow(["Outcome summary", report.outcome_summary])
    w.writerow(["Recommendations", report.recommendations])
    for _, title, rows in report_sections(report):
        w.writerow([])
        w.writerow([title])
        if rows:
            w.writerow([label(k) for k in rows[0]])
            for row in rows:
                w.writerow(list(row.values()))
        else:
            w.writerow(["(none)"])
    return out.getvalue()


def report_record(*, review, user, fmt: str, report: Report) -> None:
    """Every closing report handed out is an audit event (who, which audience, which format)."""
    from audit.services import audit_record

    audit_record(
        action="report.generate",
        actor=user,
        target=review,
        payload={"format": fmt, "audience": report.audience, "interim": report.interim},
    )


def report_pdf(report: Report) -> bytes:
    """The report as a PDF to print and sign (layout: ``exports.report_pdf``)."""
    from .report_pdf import build_pdf

    return build_pdf(report)
