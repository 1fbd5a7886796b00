"""Request facts the audit trail records (client address, request id),
carried in context variables so services need not be handed the request."""

from __future__ import annotations

import contextvars
import re
import uuid

from portal import http

client_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client_address", default=None)
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("audit_request_id", default="")


# A request id a client (or a proxy in front) may choose: letters, digits and
# hyphens, 8 to 64 of them, starting with a letter or digit (a UUID, with or
# without hyphens, or a load balancer's trace id). Anything else is replaced by
# an id of the portal's own, never stored or echoed as sent.
REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{7,63}")


def request_id_for(sent: str | None) -> str:
    """The id of a request: the client's X-Request-ID when it has the shape
    above, else a new one (32 hex digits)."""
    if sent and REQUEST_ID_SHAPE.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


class AuditContextMiddleware:
    """Sets the client address (behind trusted proxies: portal.http) and a request id (``request_id_for``) for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request_id_for(request.headers.get("X-Request-ID"))
        t1 = client_address.set(http.client_address(request))
        t2 = request_id.set(rid)
        request.request_id = rid
        try:
            response = self.get_response(request)
        finally:
            client_address.reset(t1)
            request_id.reset(t2)
        response["X-Request-ID"] = rid
        return response
