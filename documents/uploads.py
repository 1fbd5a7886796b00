"""Streaming uploads: hashed and counted chunk by chunk on their way to a temporary file.

``HashingUploadHandler`` (the portal's only upload handler, FILE_UPLOAD_HANDLERS)
writes every chunk to a temporary file while computing its SHA-256 and size,
so nothing but one chunk is ever in memory. A file that grows past
PORTAL_UPLOAD_MAX_BYTES, has an unacceptable name, or is cut off before its
closing boundary is dropped (its temporary file deleted) and recorded in
``handler.refusals`` as ``Refusal`` (file name, reason, code), which the upload view reports
next to the file. Other files in the same request are not affected.

``RawNameMultiPartParser`` hands the file name to the handler as the client
sent it, so that names with path separators or control characters are
refused rather than silently rewritten by Django's sanitising.
"""

from __future__ import annotations

import hashlib
import html
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser

from portal.errors import Refused


class UploadRefused(Refused, ValidationError):
    """An upload that cannot become a version; the message names the file and the reason.
    A ValidationError too, so forms show it like any invalid input."""

    code = "upload_refused"

    def __init__(self, message: str = "", *, field: str | None = None, code: str | None = None):
        super().__init__(message, field=field)
        # ValidationError's __init__ sets ``code`` on the instance (to None); keep ours.
        self.code = code or type(self).code


def name_problem(name: str) -> str | None:
    """Why ``name`` is not an acceptable original file name, or None."""
    if not name or not name.strip():
        return "the file has no name"
    if "/" in name or "\\" in name:
        return "the name contains a path separator"
    if any(not ch.isprintable() for ch in name):
        return "the name contains control characters"
    if name in {".", ".."}:
        return "the name is not a file name"
    if len(name) > 255:
        return "the name is longer than 255 characters"
    return None


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


class Refusal(NamedTuple):
    """A file the handler dropped. ``code`` ``storage_full`` (the temporary upload space is full
    or failing) is the portal's trouble, worth the same request later: 503, like storage's own."""

    name: str
    reason: str
    code: str = "invalid"


class HashingUploadHandler(TemporaryFileUploadHandler):
    chunk_size = 1024 * 1024

    def __init__(self, request=None):
        super().__init__(request)
        self.refusals: list[Refusal] = []
        self.max_bytes = settings.PORTAL_UPLOAD_MAX_BYTES

    def new_file(self, field_name, file_name, *args, **kwargs):
        self._hash = hashlib.sha256()
        self._size = 0
        self._raw_name = file_name
        problem = name_problem(file_name or "")
        if problem:
            self.refusals.append(Refusal(file_name or "", f"refused: {problem}."))
            raise SkipFile
        try:
            super().new_file(field_name, file_name, *args, **kwargs)
        except OSError:
            self._temp_space_failed()

    def receive_data_chunk(self, raw_data, start):
        self._size += len(raw_data)
        if self._size > self.max_bytes:
            self.refusals.append(Refusal(self._raw_name, f"refused: larger than the {human_size(self.max_bytes)} limit."))
            self._discard()
            raise SkipFile
        self._hash.update(raw_data)
        try:
            self.file.write(raw_data)
        except OSError:
            self._temp_space_failed()
        return None

    def _temp_space_failed(self):
        # The temporary folder is full or failing: the file is dropped, the request goes on.
        self.refusals.append(Refusal(
            self._raw_name, "was not stored: the portal's temporary upload space is full or unavailable. Try again later.",
            "storage_full",
        ))
        self._discard()
        raise SkipFile

    def file_complete(self, file_size):
        uploaded = super().file_complete(file_size)
        uploaded.sha256 = self._hash.hexdigest()
        uploaded.original_name = self._raw_name
        del self.file  # the next part starts clean
        return uploaded

    def upload_interrupted(self):
        if hasattr(self, "file"):
            self.refusals.append(Refusal(self._raw_name, "refused: the upload was cut off before the end."))
            self._discard()

    def _discard(self):
        if hasattr(self, "file"):
            super().upload_interrupted()  # closes and removes the temporary file
            del self.file


class RawNameMultiPartParser(MultiPartParser):
    def sanitize_file_name(self, file_name):
        # Only undo HTML entities; the handler refuses unsafe names instead of rewriting them.
        return html.unescape(file_name) if file_name is not None else None
