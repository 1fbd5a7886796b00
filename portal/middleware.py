from django.conf import settings


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


class TrustedProxyMiddleware:
    """Behind ``PORTAL_TRUSTED_PROXY_COUNT`` reverse proxies (nginx: 1), the client's
    address is the one the outermost trusted proxy appended to X-Forwarded-For.

    Sets REMOTE_ADDR to it, first of all middleware, so that the audit trail,
    the document access record and allauth's per-address login limit see the
    person rather than the proxy (without it every request comes from nginx,
    and ten failed logins a minute from anyone would lock out everyone). A
    request with fewer addresses than proxies did not come through them and
    keeps its own REMOTE_ADDR.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = settings.PORTAL_TRUSTED_PROXY_COUNT
        if count:
            forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
            if len(forwarded) >= count:
                request.META["REMOTE_ADDR"] = forwarded[-count]
        return self.get_response(request)
