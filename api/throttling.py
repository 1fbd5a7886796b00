"""Rate limits per token (and per user for browser sessions), in the shared cache (Redis)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """PORTAL_API_THROTTLE_RATE (default 120/min) per token; a session counts per user."""

    scope = "api"

    def get_rate(self):
        return settings.PORTAL_API_THROTTLE_RATE

    def allow_request(self, request, view):
        # Read at each request, so a changed setting applies without a restart (and in tests).
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
