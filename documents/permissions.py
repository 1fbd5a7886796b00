"""Who may fetch a version's bytes; every check runs on a version already known to be visible."""

from __future__ import annotations

from django.conf import settings

from .models import DocumentVersion, ScanStatus


def is_uploading_company(user, version: DocumentVersion) -> bool:
    """``user`` is a liaison of the company that handed ``version`` over (the
    review's company: only its liaisons upload), who has the file already.
    Never for a finding's evidence, which agencies upload."""
    return bool(
        user.is_company_liaison
        and version.document.purpose == "review"
        and user.company_id == version.document.review.company_id
    )


def fetch_refusal(user, version: DocumentVersion, *, inline: bool) -> str | None:
    """Why ``user`` may not fetch ``version`` (None: they may). Web pages and
    the API both ask here, for downloads and inline views alike.

    Scanning fails closed. Quarantined versions never leave the portal. A
    version waiting for its scan, or stored without one, reaches only the
    company that uploaded it, never an agency or the program office; a version
    stored without a scan reaches every reader only under the explicit opt-out
    (``PORTAL_ALLOW_UNSCANNED_DOCUMENTS``, on in demo mode). A view-only
    marking allows only the inline view of PDFs and images. A PDF that must be
    watermarked but is too large to stamp is not served.
    """
    if version.scan_status == ScanStatus.INFECTED:
        return "This version is quarantined: the virus scan found a threat."
    if version.scan_status == ScanStatus.PENDING and not is_uploading_company(user, version):
        return "This version is waiting for its virus scan; it opens once the scan finds it clean."
    if (
        version.scan_status == ScanStatus.NOT_SCANNED
        and not settings.PORTAL_ALLOW_UNSCANNED_DOCUMENTS
        and not is_uploading_company(user, version)
    ):
        return "This version was stored without a virus scan, so it is not released; ask the program office to have it scanned."
    if inline:
        if not version.opens_inline:
            return "Only PDFs and images open in the browser."
    elif not version.marking.downloads_allowed:
        return f"The marking {version.marking} allows viewing only."
    if version.marking.watermark_pdf and version.is_pdf and version.size > settings.PORTAL_WATERMARK_MAX_BYTES:
        # Stamping rewrites the PDF in the web process; past this size it would not fit the memory budget.
        return "This PDF is too large to watermark, and its marking allows no unmarked copy; ask the program office."
    return None
