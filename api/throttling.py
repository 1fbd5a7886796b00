"""Rate limits in the shared cache (Redis): per token, and per user across all of theirs.

A user with ten tokens (the most one may hold) must not get ten times the
rate, so every authenticated call also counts against the user's own
bucket (PORTAL_API_USER_THROTTLE_RATE). Anonymous calls count per client address, read
behind trusted proxies by ``portal.http.client_address`` (a spoofed
``X-Forwarded-For`` cannot move it). Both fail closed: when the cache is
down the request is refused (503, api.exceptions), never let through.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from portal.http import client_address

from .models import ApiToken


class PortalRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return settings.PORTAL_API_THROTTLE_RATE

    def allow_request(self, request, view):
        # Read at each request, so a changed setting applies without a restart (and in tests).
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_ident(self, request):
        return client_address(request)


class TokenRateThrottle(PortalRateThrottle):
    """PORTAL_API_THROTTLE_RATE (default 120/min) per token; a session counts per user."""

    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class UserRateThrottle(PortalRateThrottle):
    """PORTAL_API_USER_THROTTLE_RATE (default 240/min) per user, whatever token or session the call came with."""

    scope = "api-user"

    def get_rate(self):
        return settings.PORTAL_API_USER_THROTTLE_RATE

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": f"user:{request.user.pk}"}
        return None  # anonymous calls are counted by TokenRateThrottle per address
