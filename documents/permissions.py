"""Who may fetch a version's bytes; every check runs on a version already known to be visible."""

from __future__ import annotations

from django.conf import settings

from .models import DocumentVersion, ScanStatus


def fetch_refusal(user, version: DocumentVersion, *, inline: bool) -> str | None:
    """Why ``user`` may not fetch ``version`` (None: they may).

    Quarantined versions never leave the portal. A pending version reaches only
    its uploader. A view-only marking allows only the inline view of PDFs and
    images. A PDF that must be watermarked but is too large to stamp is not served.
    """
    if version.scan_status == ScanStatus.INFECTED:
        return "This version is quarantined: the virus scan found a threat."
    if version.scan_status == ScanStatus.PENDING and version.uploaded_by_id != user.pk:
        return "This version is waiting for its virus scan."
    if inline:
        if not version.opens_inline:
            return "Only PDFs and images open in the browser."
    elif not version.document.marking.downloads_allowed:
        return f"The marking {version.document.marking} allows viewing only."
    if version.document.marking.watermark_pdf and version.is_pdf and version.size > settings.PORTAL_WATERMARK_MAX_BYTES:
        # Stamping rewrites the PDF in the web process; past this size it would not fit the memory budget.
        return "This PDF is too large to watermark, and its marking allows no unmarked copy; ask the program office."
    return None
