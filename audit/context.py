"""Request facts the audit trail records (client address, request id),
carried in context variables so services need not be handed the request."""

from __future__ import annotations

import contextvars
import uuid

from portal import http

client_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client_address", default=None)
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("audit_request_id", default="")


class AuditContextMiddleware:
    """Sets the client address (behind trusted proxies: portal.http) and a request id (from X-Request-ID or new) for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = (request.headers.get("X-Request-ID") or "")[:64] or uuid.uuid4().hex
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
