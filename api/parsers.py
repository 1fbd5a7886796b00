"""Request parsers: JSON within DATA_UPLOAD_MAX_MEMORY_SIZE, multipart through the portal's upload handler."""

from __future__ import annotations

import json

from django.conf import settings
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, JSONParser, MultiPartParser

from documents.uploads import RawNameMultiPartParser

from .exceptions import BodyTooLarge


class LimitedJSONParser(JSONParser):
    """DRF reads JSON straight from the socket, past Django's body limit; this one keeps it."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            raise BodyTooLarge()
        raw = stream.read(limit + 1 if limit is not None else -1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise BodyTooLarge()
        try:
            return json.loads(raw.decode((parser_context or {}).get("encoding") or "utf-8"), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


class StreamingMultiPartParser(MultiPartParser):
    """Multipart with the portal's streaming HashingUploadHandler and raw file names.

    Files the handler refused (too large, unsafe name, cut off) are left out
    of ``request.FILES``; their reasons are kept on the Django request as
    ``upload_refusals`` for the view to report.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        handlers = request.upload_handlers
        try:
            parser = RawNameMultiPartParser(meta, stream, handlers, parser_context.get("encoding", settings.DEFAULT_CHARSET))
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error: {exc}") from None
        refusals = []
        for handler in handlers:
            refusals.extend(getattr(handler, "refusals", []))
        request._request.upload_refusals = refusals
        return DataAndFiles(data, files)
