"""Session rules the portal enforces on every request.

allauth authenticates but enforces neither MFA enrolment nor session
lifetimes; these two middlewares do, for every URL including the admin.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

AUTH_AT = "_portal_auth_at"
SEEN_AT = "_portal_seen_at"
MFA_OK = "_portal_mfa_ok"
SEEN_REFRESH = timedelta(seconds=60)
# The REST API answers for itself (JSON 401/403, never a redirect to a page):
# see api.authentication.
API_PREFIX = "/api/"


def stamp_login_time(sender, request, user, **kwargs) -> None:
    now = timezone.now().isoformat()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Logs out after ``PORTAL_SESSION_IDLE_MINUTES`` idle and ``..._ABSOLUTE_HOURS`` in all.

    The server-side check matters: the cookie age alone would let a stolen
    cookie live as long as it is used.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now()
            session = request.session
            auth_at = _parse(session.get(AUTH_AT)) or now
            seen_at = _parse(session.get(SEEN_AT)) or now
            reason = None
            if now - auth_at >= settings.SESSION_ABSOLUTE_AGE:
                reason = f"Your session ended after {settings.PORTAL_SESSION_ABSOLUTE_HOURS} hours. Please sign in again."
            elif now - seen_at >= settings.SESSION_IDLE_AGE:
                reason = f"You were signed out after {settings.PORTAL_SESSION_IDLE_MINUTES} idle minutes."
            if reason:
                logout(request)
                if request.path.startswith(API_PREFIX):
                    # The API call goes on unauthenticated (401) unless it carries a token.
                    return self.get_response(request)
                messages.info(request, reason)
                return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
            if AUTH_AT not in session:
                session[AUTH_AT] = auth_at.isoformat()
            # Writing the stamp saves the session; once a minute is precise enough.
            if SEEN_AT not in session or now - seen_at >= SEEN_REFRESH:
                session[SEEN_AT] = now.isoformat()
        return self.get_response(request)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class RequireMFAMiddleware:
    """Sends a signed-in user without TOTP to set it up, from any page.

    Only the MFA pages themselves, logout and static files stay reachable.
    The check result is remembered in the session once positive: a user
    cannot remove their TOTP authenticator while MFA is required
    (accounts.adapters.PortalMFAAdapter).
    """

    # The API checks the same rule in its session authentication (api.authentication) and
    # answers 403 there; token calls have no session user here and are not affected.
    exempt_prefixes = ("/accounts/2fa/", "/accounts/logout/", "/accounts/reauthenticate/", "/static/", API_PREFIX)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PORTAL_REQUIRE_MFA and request.user.is_authenticated:
            if not request.path.startswith(self.exempt_prefixes) and not mfa_verified(request, request.user):
                messages.warning(request, "Set up two-factor authentication to continue.")
                return redirect("mfa_activate_totp")
        return self.get_response(request)


def mfa_verified(request, user) -> bool:
    """Whether the session's user is enrolled in TOTP (remembered in the session once true).

    allauth asks enrolled users for a code at sign-in, so an enrolled user's
    session is an MFA-verified one.
    """
    if request.session.get(MFA_OK) == user.pk:
        return True
    from allauth.mfa.models import Authenticator

    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        request.session[MFA_OK] = user.pk
        return True
    return False


class UserTimeZoneMiddleware:
    """Shows every date in the signed-in user's own time zone (``User.time_zone``).

    ``timezone.localdate`` and the ``date`` filter follow the activated zone,
    so a review's "N days left" counts calendar days where the reader is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = getattr(request.user, "time_zone", None) if request.user.is_authenticated else None
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
