"""The client's address behind trusted proxies: one rule for rate limits and the audit trail.

Each proxy in front of the portal *appends* the address it received the
request from to ``X-Forwarded-For``. With ``PORTAL_TRUSTED_PROXY_COUNT`` = N
proxies under the operator's control, the client is the N-th entry from the
right; everything left of it was written by the client and is ignored, so a
spoofed header can neither move a rate limit nor forge an audit address.
With N = 0 (no proxy) the header is ignored entirely and ``REMOTE_ADDR`` is
the client. allauth's rate limits and user sessions (through
``PortalAccountAdapter.get_client_ip``), DRF's throttles, the audit trail
and document access records all read this function.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request) -> str:
    """The client's IP address, as seen by the outermost trusted proxy.

    A header shorter than the proxy count (the request bypassed a proxy) or a
    malformed entry falls back to ``REMOTE_ADDR``: the nearest hop, which the
    client cannot choose.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    count = getattr(settings, "PORTAL_TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
        if len(hops) >= count:
            candidate = _valid(hops[-count])
            if candidate:
                return candidate
    return _valid(remote) or remote or "0.0.0.0"  # noqa: S104 - a placeholder, never bound
