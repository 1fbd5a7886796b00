"""Serving a version's bytes, the same way for the web pages and the API.

Callers have checked scope, access terms and ``fetch_refusal`` first. Every
delivery is recorded (DocumentAccess + audit event) before the bytes go out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from portal.http import client_address
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from . import services
from .models import AccessKind, DocumentVersion
from .watermark import stamp

# The policy of every response carrying a version's bytes (shown inline or
# downloaded). ``sandbox`` without ``allow-same-origin`` gives the document an
# opaque origin: a PDF's or image's script, if a viewer runs one at all, runs
# without the portal's cookies, storage or same-origin requests, and the
# sandbox also blocks forms, pop-ups and top-level navigation. Nothing may be
# loaded beyond inline images and styles, and no other site may frame it.
DOCUMENT_CONTENT_SECURITY_POLICY = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _harden(response: HttpResponse) -> HttpResponse:
    """Headers every delivery of uploaded bytes carries, inline or not: the
    sandboxing policy above (instead of the pages' one), no content sniffing
    (the type is the one detected at upload), other sites may not embed it,
    and no cache keeps a copy."""
    response["Content-Security-Policy"] = DOCUMENT_CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def accel_target(name: str) -> str:
    """Where nginx's internal location finds the stored file.

    On disk: the prefix + the stored name (the location aliases MEDIA_ROOT).
    In object storage: the prefix + the path and query of a short-lived
    presigned URL, so that the location only proxies to the S3 endpoint and
    the signature, not nginx, authorises the read (nothing in the bucket is
    public).
    """
    prefix = settings.PORTAL_X_ACCEL_REDIRECT_PREFIX.rstrip("/")
    url = default_storage.url(name)
    if url.startswith(("http://", "https://")):
        parts = urlsplit(url)
        return f"{prefix}{parts.path}?{parts.query}" if parts.query else f"{prefix}{parts.path}"
    return f"{prefix}/{name}"


def requested_page(request) -> int | None:
    """The PDF page a view is asked to open at (``?page=N``: a search hit's or
    a find's), or None: anything but a number from 1 to 100,000 is ignored."""
    page = request.GET.get("page", "")
    return int(page) if page.isdigit() and 0 < int(page) <= 100_000 else None


def web_fetch(request, version: DocumentVersion, *, inline: bool, back: str, page: int | None = None):
    """A web page's fetch of ``version`` (a document's version, a finding's
    evidence file), after the rules every such fetch asks, in this order:
    ``fetch_refusal`` (its reason shown on ``back``); a fresh sign-in for a
    view-only or stamped marking (accounts.stepup: the request is replayed
    afterwards, query included); then, asked at ``page`` for a PDF, the same
    address with ``#page=N`` — the open parameter the browsers' PDF viewers
    read, which a sign-in's round trip would have lost — whose request
    serves the bytes and is recorded. Callers have checked scope, the terms
    and the certificate."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from accounts.stepup import recently_authenticated, step_up_redirect

    from .permissions import fetch_refusal

    refusal = fetch_refusal(request.user, version, inline=inline)
    if refusal:
        messages.error(request, refusal)
        return redirect(back)
    marking = version.marking
    if (not marking.downloads_allowed or marking.watermark_pdf) and not recently_authenticated(request):
        return step_up_redirect(request)
    if page is not None and version.is_pdf:
        return redirect(f"{request.path}#page={page}")
    return fetch_response(request, version, inline=inline)


def fetch_response(request, version: DocumentVersion, *, inline: bool, user=None):
    """Records the view or download of ``version`` and returns the streaming response.

    CUI-style markings get their PDFs watermarked for the reader; with
    PORTAL_X_ACCEL_REDIRECT_PREFIX nginx sends the bytes (nginx passes the
    headers set here, the sandboxing policy included). Content-Disposition
    always names the original file, encoded per RFC 6266 (``filename*``).
    """
    user = user or request.user
    services.access_record(
        version=version,
        user=user,
        action=AccessKind.VIEW if inline else AccessKind.DOWNLOAD,
        client_address=client_address(request),
    )
    if version.marking.watermark_pdf and version.is_pdf:
        org = user.organisation or "Program office"
        text = (
            f"{user.email} · {org} · {timezone.now().strftime('%Y-%m-%d %H:%M:%S UTC')} · "
            f"sha256 {version.sha256[:16]} · {version.marking}"
        )
        with default_storage.open(version.file.name, "rb") as source:
            stamped = stamp(source, text)
        response = FileResponse(stamped, as_attachment=not inline, filename=version.original_name, content_type=version.content_type)
        response["X-Watermarked"] = "1"
    elif settings.PORTAL_X_ACCEL_REDIRECT_PREFIX:
        response = HttpResponse(content_type=version.content_type)
        response["X-Accel-Redirect"] = accel_target(version.file.name)
        response["Content-Disposition"] = content_disposition_header(not inline, version.original_name)
    else:
        response = FileResponse(
            default_storage.open(version.file.name, "rb"),
            as_attachment=not inline,
            filename=version.original_name,
            content_type=version.content_type,
        )
        response["Content-Length"] = str(version.size)
    response["X-Content-SHA256"] = version.sha256
    return _harden(response)
