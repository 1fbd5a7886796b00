from django.conf import settings

from .outage import RETRY_AFTER_SECONDS, outage_of, stopped_statement


class ContentSecurityPolicyMiddleware:
    """Sends one Content-Security-Policy on every response.

    Django 5.2 has no built-in CSP; the policy itself lives in settings so that
    an operator can tighten it without code.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


def wants_json(request) -> bool:
    """The API, and scripts that ask for JSON (the upload script), get the API's error body."""
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


DRAIN_SECONDS = 30


def drain_body(request, seconds: float = DRAIN_SECONDS) -> None:
    """Reads and drops what is left of the request's body before an early error answer.

    A client still sending (an upload streamed through nginx) whose server
    answers and closes the connection with bytes unread gets a reset instead
    of the answer — nginx turns that into an HTML 502, even for a JSON client.
    Bounded: after ``seconds`` the rest is left to the reset.
    """
    import time

    stream = getattr(request, "_stream", None)
    if stream is None:
        return
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and stream.read(1 << 20):
            pass
    except Exception:  # noqa: BLE001 - the client went away: nothing left to answer
        pass


def _closed(request, *, code: str, message: str, template: str, reason: str, context: dict | None = None):
    """A 503 with ``Retry-After``: the API's error body (``code``, ``message``)
    for JSON clients, ``template`` elsewhere, and ``Portal-Error: reason``
    for the htmx part of a page that asked (static/js/portal.js). Rendered
    without context processors (the bell and the session may need the very
    service that failed); the rest of the request's body is read first
    (``drain_body``), so that an upload cut short still gets this answer."""
    from django.http import HttpResponse, JsonResponse
    from django.template.loader import render_to_string

    drain_body(request)
    if wants_json(request):
        response = JsonResponse({"errors": [{"field": None, "code": code, "message": message}]}, status=503)
    else:
        response = HttpResponse(render_to_string(template, context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Portal-Error"] = reason
    return response


def service_unavailable(request):
    """503 "temporarily unavailable, try again shortly" (``_closed``)."""
    return _closed(request, code="service_unavailable", template="503.html", reason="unavailable",
                   message="The portal is temporarily unavailable; try again shortly.")


class OutageMiddleware:
    """Turns an outage of the shared cache (Redis) or the database into a clear, closed door.

    Login rate limits, used TOTP codes and API throttles live in the cache;
    when it is unreachable those checks cannot be made, so the request is
    refused (fail-closed). When the database server is gone (restarting,
    unreachable, the connection cut), the request's transaction was rolled
    back with it and nothing was half-written. Either way the answer is 503
    with Retry-After rather than a 500 that looks like a bug and invites
    retries of a half-known outcome. Errors raised in other middleware reach
    ``portal.urls.handler500``, which answers the same way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        outage = outage_of(exception)
        if outage is None:
            return None
        import logging

        what = "shared cache" if outage == "cache" else "database"
        logging.getLogger("portal.outage").error("%s unavailable on %s: %s", what, request.path, exception)
        return service_unavailable(request)



def took_too_long(request):
    """503 "this page took too long" (``_closed``): a statement of the request
    was stopped by the database (``PORTAL_WEB_STATEMENT_TIMEOUT``); its
    transaction may be the one that was stopped."""
    return _closed(
        request, code="timeout", template="503_timeout.html", reason="timeout",
        message="The request took too long and was stopped; nothing it was changing was saved. Try again, or ask for less.",
        context={
            "search": request.resolver_match is not None and request.resolver_match.url_name == "search",
            "again": request.get_full_path() if request.method == "GET" else None,
        },
    )


class StatementTimeoutMiddleware:
    """Bounds the database statements of web requests, and answers a request
    whose statement was stopped with a page that says so.

    Without a bound, a statement still running when gunicorn gives up on its
    worker (``--timeout``) keeps a database backend and its locks busy for
    nobody, and the person waits for nginx's 502. With
    ``PORTAL_WEB_STATEMENT_TIMEOUT`` (production: 30 s), PostgreSQL stops it
    and the answer is a 503 "took too long" (a JSON error for the API): a
    service's transaction is rolled back whole, so nothing is half-written.
    Connecting ``portal.db.bounded_web_statements`` here, when a request
    handler loads its middleware, keeps the bound out of Celery workers and
    management commands, which load none."""

    def __init__(self, get_response):
        from django.db.backends.signals import connection_created

        from .db import bounded_web_statements

        connection_created.connect(bounded_web_statements, dispatch_uid="portal.db.bounded_web_statements")
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not stopped_statement(exception):
            return None
        import logging

        logging.getLogger("portal.timeout").error("statement stopped on %s %s: %s", request.method, request.path, exception)
        return took_too_long(request)


class HtmxNavigationMiddleware:
    """A redirect answering an htmx request becomes a navigation of the whole
    page (``HX-Redirect``), never a page fetched into a fragment.

    The browser follows a redirect before htmx sees it, so a search typed
    after the session ended, a checklist answer saved then, or the exports
    poller drew the sign-in page inside the results, the item or the list.
    Answered ``HX-Redirect`` instead, htmx sends the whole window there. A
    redirect that would bring the person back (``next``: to sign in, to
    accept a review's terms) to the fragment's address brings them back to
    the page they were on (``HX-Current-URL``, same host only): a checklist
    answer's address takes POSTs only."""

    REDIRECTS = (301, 302, 303, 307, 308)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code not in self.REDIRECTS:
            return response
        from urllib.parse import parse_qsl, urlencode, urlsplit

        from django.http import HttpResponse
        from django.utils.http import url_has_allowed_host_and_scheme

        location = response["Location"]
        target = urlsplit(location)
        query = parse_qsl(target.query)
        page = request.headers.get("HX-Current-URL", "")
        # Back to the fragment's own address after signing in (or accepting terms): to the page instead.
        if ("next", request.get_full_path()) in query and url_has_allowed_host_and_scheme(
            page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            here = urlsplit(page)
            back = here.path + (f"?{here.query}" if here.query else "")
            location = target._replace(query=urlencode([(k, back if k == "next" else v) for k, v in query], safe="/")).geturl()
        navigation = HttpResponse(status=200)
        navigation["HX-Redirect"] = location
        navigation.cookies = response.cookies  # a session ended on the way (its cleared cookie) goes with it
        return navigation


class RefusalMiddleware:
    """Answers a page's ``TermsRequired`` with the review's terms page, and its
    ``MaterialReturned`` with a page saying why the documents are closed (403).

    A view (or a service under it) raises it when an agency user reaches a
    review's material before accepting the review's current access terms. The
    person is sent to the terms page and, once they accept, back to where the
    link pointed (``?next=``). A script asking for JSON gets a 403 in the API's
    error format instead. The API itself answers through its exception handler.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.contrib import messages
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import url_has_allowed_host_and_scheme

        from .errors import MaterialReturned, TermsRequired

        if isinstance(exception, MaterialReturned):
            if "application/json" in request.headers.get("Accept", ""):
                return JsonResponse(
                    {"errors": [{"field": None, "code": exception.code, "message": str(exception)}]}, status=403
                )
            from django.shortcuts import render

            return render(request, "material_returned.html", {"message": str(exception), "review_id": exception.review_id}, status=403)
        if not isinstance(exception, TermsRequired):
            return None
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse(
                {"errors": [{"field": None, "code": exception.code, "message": str(exception)}]}, status=403
            )
        target = request.get_full_path() if request.method == "GET" else request.headers.get("Referer", "")
        url = reverse("review_detail", kwargs={"pk": exception.review_id})
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
            from urllib.parse import urlencode

            url = f"{url}?{urlencode({'next': target})}"
        messages.info(request, "Accept the review's access terms to open its material.")
        return redirect(url)
