"""How API calls are authenticated: a personal token, or an MFA-verified browser session.

``Authorization: Bearer frp_…`` finds the token by its public prefix and
compares the SHA-256 of the whole token in constant time. A revoked or
expired token, or one whose user was deactivated, is refused with 401. A
token stands on its own (creating it needed an MFA-verified session, see
api.views.tokens), so it is not asked for a second factor.

A browser session is accepted too, with the rules of the web pages: CSRF on
unsafe methods, and (with PORTAL_REQUIRE_MFA) only for a session that itself
completed an MFA step (accounts.assurance.session_mfa_verified — the same
rule as the pages; an authenticator enrolled in another session does not count).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from accounts.assurance import session_mfa_verified

from .models import ApiToken
from .services import split_token, token_digest, token_touch


class MFARequired(exceptions.APIException):
    status_code = 403
    default_detail = (
        "This browser session has not completed two-factor authentication; complete it in the portal "
        "(or use a personal API token) before using the API with it."
    )
    default_code = "mfa_required"


class TokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        prefix = split_token(raw)
        token = None
        if prefix is not None:
            token = (
                ApiToken.objects.select_related("user__membership__agency", "user__membership__company")
                .filter(prefix=prefix)
                .first()
            )
        if token is None or not hmac.compare_digest(token.token_hash, token_digest(raw)):
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            reason = f" ({token.revoked_reason})" if token.revoked_reason else ""
            raise exceptions.AuthenticationFailed(f"This token was revoked{reason}.")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is deactivated.")
        token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class MFASessionAuthentication(SessionAuthentication):
    """The browser session (with CSRF), for MFA-verified users only."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        if settings.PORTAL_REQUIRE_MFA and not session_mfa_verified(request._request, user):
            raise MFARequired()
        return result
