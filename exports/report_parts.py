"""The closing report's parts and their headings, shared by its CSV (``exports.reports``)
and its PDF (``exports.report_pdf``)."""

from __future__ import annotations

# Column headings: the report shows words, never the keys its rows are built with.
LABELS = {
    "status": "Status", "findings": "Findings", "taxonomy": "Taxonomy", "catalogue": "Catalogue",
    "title": "Title", "severity": "Severity", "category": "Category", "retest": "Retest", "agency": "Agency",
    "description": "Description", "evidence": "Evidence", "files": "Evidence files", "comments": "Comments", "author": "Author",
    "sharing": "Sharing", "criterion": "Criterion", "mandatory": "Mandatory", "answer": "Answer", "note": "Note",
    "answered_by": "Answered by", "at": "When", "event": "Event", "by": "By", "comment": "Comment",
    "document": "Document", "kind": "Kind", "marking": "Marking", "version": "Version", "file": "File",
    "bytes": "Size (bytes)", "sha256": "SHA-256", "uploaded": "Uploaded", "scan": "Virus scan",
    "certified_at": "Certified", "material": "Material", "method": "Method", "date": "Done on", "scope": "Scope",
    "exceptions": "Exceptions", "statement": "Statement", "certified_by": "Certified by", "signatory": "Signatory",
    "conclusion": "Conclusion", "summary": "Summary", "recommendations": "Recommendations", "signed_at": "Signed",
}


def file_size(n) -> str:
    """``12.3 KB`` with a plain space (the PDF's fonts and the CSV carry no no-break space)."""
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(n)).replace("\xa0", " ")


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def report_sections(report):
    return (
        ("findings_by_status", "Findings by status", report.findings_by_status),
        ("findings_by_taxonomy", "Findings by taxonomy", report.findings_by_taxonomy),
        ("findings", "Findings", report.findings),
        ("checklist", "Readiness checklist", report.checklist),
        ("documents", "Documents received (SHA-256 of each version)", report.documents),
        ("sign_offs", "Agencies' sign-offs", report.sign_offs),
        ("timeline", "Timeline", report.timeline),
        ("certificates", "Return-or-destroy certificates", report.certificates),
    )
