"""The text of a stored file, for full-text search: PDFs (pypdf) and text files.

Only reads: pypdf parses the PDF's objects and content streams; nothing in the
file is executed (no JavaScript, no forms, no external references are
followed). Limits keep one file from filling the worker: at most
``PORTAL_SEARCH_TEXT_MAX_PAGES`` pages and ``PORTAL_SEARCH_TEXT_MAX_CHARS``
characters (then the text is marked truncated); a file larger than
``PORTAL_SEARCH_EXTRACT_MAX_BYTES`` is not read. An encrypted or malformed PDF
is refused with the reason; the caller records it, the version is unaffected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from .uploads import human_size

TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown", "text/csv", "application/json"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Extracted:
    status: str  # TextStatus value
    reason: str = ""
    text: str = ""
    pages: int | None = None
    truncated: bool = False


# Between a PDF's pages in its text (a form feed, as pdftotext writes): search
# tells on which page a snippet is (the ``search_headline_paged`` function,
# search migration 0009). Whitespace to the full text and to a snippet.
PAGE_BREAK = "\f"
# A page's own vector (find in one document) is made of its first this many
# characters: a real page holds 3,000-10,000, and a tsvector at most 1 MiB — a
# page of unique tokens (a hash dump) reaches ~700 KB at 150,000 characters of
# three-byte script (measured), where the whole page would raise.
PAGE_VECTOR_CHARS = 150_000


def _clean(text: str) -> str:
    # PostgreSQL text holds no NUL; other control characters (a page's own form feeds among them) are noise for search.
    return _CONTROL.sub(" ", text)


def extract(fh, *, content_type: str, size: int) -> Extracted:
    """The text of the open binary file ``fh`` of ``content_type``."""
    if content_type != "application/pdf" and content_type not in TEXT_TYPES:
        return Extracted("no_text", "Only PDFs and text files are indexed for search.")
    if size > settings.PORTAL_SEARCH_EXTRACT_MAX_BYTES:
        return Extracted(
            "refused",
            f"The file ({human_size(size)}) is larger than search reads "
            f"({human_size(settings.PORTAL_SEARCH_EXTRACT_MAX_BYTES)}).",
        )
    if content_type == "application/pdf":
        return _pdf(fh)
    return _plain(fh)


def _plain(fh) -> Extracted:
    limit = settings.PORTAL_SEARCH_TEXT_MAX_CHARS
    raw = fh.read(limit * 4 + 4)  # UTF-8: at most four bytes a character
    text = raw.decode("utf-8", errors="replace")
    truncated = len(text) > limit or len(raw) > limit * 4
    return Extracted("extracted", text=_clean(text[:limit]), truncated=truncated)


def _pdf(fh) -> Extracted:
    from pypdf import PdfReader

    max_pages, max_chars = settings.PORTAL_SEARCH_TEXT_MAX_PAGES, settings.PORTAL_SEARCH_TEXT_MAX_CHARS
    try:
        reader = PdfReader(fh, strict=False)
        if reader.is_encrypted:
            return Extracted("refused", "The PDF is encrypted, so its text cannot be read for search.")
        count = len(reader.pages)
        parts, total, truncated = [], 0, count > max_pages
        for index in range(min(count, max_pages)):
            text = _clean(reader.pages[index].extract_text() or "")
            parts.append(text)
            total += len(text) + 1
            if total >= max_chars:
                truncated = truncated or index + 1 < count or total > max_chars
                break
    except Exception as exc:  # noqa: BLE001 — an untrusted file: any parser failure means "malformed"
        detail = str(exc).strip()[:200] or exc.__class__.__name__
        return Extracted("refused", f"The PDF is malformed and its text cannot be read ({detail}).")
    return Extracted("extracted", text=PAGE_BREAK.join(parts)[:max_chars], pages=count, truncated=truncated)
