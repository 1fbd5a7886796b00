"""Talking to clamd (through the ``clamd`` client). Fails closed: any doubt means pending."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

import clamd
from django.conf import settings
from django.core.files.storage import default_storage

from .uploads import human_size


class ScannerUnavailable(Exception):
    """clamd could not be reached; the version stays pending and the scan is retried."""


@dataclass
class ScanOutcome:
    status: str  # "clean", "infected" or "pending"
    detail: str


def client():
    url = urlparse(settings.CLAMAV_URL)
    timeout = settings.CLAMAV_TIMEOUT_SECONDS
    if url.scheme == "unix":
        return clamd.ClamdUnixSocket(path=url.path, timeout=timeout)
    return clamd.ClamdNetworkSocket(host=url.hostname or "127.0.0.1", port=url.port or 3310, timeout=timeout)


def scan_stored_file(name: str, size: int) -> ScanOutcome:
    """Streams the stored file to clamd (INSTREAM) and interprets its answer."""
    if size > settings.CLAMAV_MAX_BYTES:
        return ScanOutcome(
            "pending",
            f"Not scanned: the file ({human_size(size)}) is larger than the scanner accepts "
            f"({human_size(settings.CLAMAV_MAX_BYTES)}). A program admin must raise the limit or review it by hand.",
        )
    try:
        scanner = client()
        with default_storage.open(name, "rb") as fh:
            result = scanner.instream(fh)
    except (clamd.ConnectionError, OSError) as exc:
        raise ScannerUnavailable(f"The virus scanner is unavailable ({exc}); the scan will be retried.") from exc
    except clamd.BufferTooLongError:
        return ScanOutcome("pending", "Not scanned: clamd refused the file as too large (StreamMaxLength).")
    status, signature = (result or {}).get("stream", ("ERROR", "no answer"))
    if status == "OK":
        return ScanOutcome("clean", "No threat found.")
    if status == "FOUND":
        return ScanOutcome("infected", signature or "a threat")
    return ScanOutcome("pending", f"Not scanned: the scanner answered {status} ({signature}).")
