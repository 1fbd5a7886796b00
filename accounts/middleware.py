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

from .assurance import session_mfa_verified

AUTH_AT = "_portal_auth_at"
SEEN_AT = "_portal_seen_at"
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
    """Sends a signed-in session that has not completed an MFA step to do so, from any page.

    Whether the session is MFA-verified is decided by one function,
    ``accounts.assurance.session_mfa_verified`` (a step done *in this session*;
    an authenticator on the account is not enough). A user without an
    authenticator is sent to set one up; a user who has one (enrolled in
    another session) is asked for a code. Only the MFA pages themselves,
    logout and static files stay reachable, and they render a minimal layout
    (no bell, no notifications, no review names: see portal.context_processors).
    """

    # The API checks the same rule in its session authentication (api.authentication) and
    # answers 403 there; token calls have no session user here and are not affected.
    totp_prefixes = ("/accounts/2fa/totp/",)
    exempt_prefixes = ("/accounts/2fa/", "/accounts/logout/", "/accounts/reauthenticate/", "/static/", API_PREFIX)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and request.path.startswith(self.totp_prefixes):
            from .assurance import PHISHING_RESISTANT_REQUIRED

            if request.session.get(PHISHING_RESISTANT_REQUIRED) == request.user.pk:
                # TOTP is refused for members of an organisation requiring phishing-resistant MFA.
                return redirect_to_mfa(request)
        # What the layout may show (portal.context_processors, notifications.context_processors).
        request.session_restricted = bool(
            settings.PORTAL_REQUIRE_MFA and request.user.is_authenticated and not session_mfa_verified(request)
        )
        if request.session_restricted and not request.path.startswith(self.exempt_prefixes):
            return redirect_to_mfa(request)
        return self.get_response(request)


def redirect_to_mfa(request):
    """Where an unverified session goes: enrolment, or a second factor the account already has.

    Members of an organisation that requires phishing-resistant MFA are sent
    to a passkey / security key: an authenticator-app code does not verify
    their session.
    """
    from allauth.mfa.models import Authenticator

    from .assurance import PHISHING_RESISTANT_REQUIRED

    kinds = set(Authenticator.objects.filter(user=request.user).values_list("type", flat=True))
    if request.session.get(PHISHING_RESISTANT_REQUIRED) == request.user.pk:
        if Authenticator.Type.WEBAUTHN in kinds:
            messages.warning(request, "Your organisation requires a passkey or security key: confirm it is you with one.")
            return redirect_to_login(request.get_full_path(), reverse("mfa_reauthenticate_webauthn"))
        messages.warning(
            request,
            "Your organisation requires phishing-resistant sign-in: add a passkey or security key "
            "(authenticator-app codes are not accepted).",
        )
        return redirect("mfa_add_webauthn")
    if kinds:
        messages.warning(request, "Confirm it is you with your second factor to continue.")
        return redirect_to_login(request.get_full_path(), reverse("mfa_reauthenticate"))
    messages.warning(request, "Set up two-factor authentication to continue.")
    return redirect("mfa_activate_totp")


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
