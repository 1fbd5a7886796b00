"""allauth's social-account adapter: identity providers as data, and the invitation-bound guard.

Single sign-on never creates an account on its own. The first sign-in through
an organisation's IdP must match a pending invitation into that organisation
(or an existing account of it); it then binds the account to the IdP's
(issuer, sub) — allauth's ``SocialAccount`` — and from then on that account
signs in only through its IdP. Every refusal happens before any User or
SocialAccount row is written, and is an audit event with its reason.

Both doors are guarded: ``pre_social_login`` (the callback) and
``is_open_for_signup`` (allauth's social sign-up form, which auto-signup
would otherwise reach) — the latter is always closed.
"""

from __future__ import annotations

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

from . import selectors
from .services import Refusal, idp_client_secret

PROVIDER = "portal_oidc"


class PortalSocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        from allauth.socialaccount.models import SocialApp

        apps = []
        for idp in selectors.enabled_identity_providers():
            if provider not in (None, PROVIDER, idp.slug) or (client_id and client_id != idp.client_id):
                continue
            apps.append(
                SocialApp(
                    provider=PROVIDER,
                    provider_id=idp.slug,
                    name=idp.name,
                    client_id=idp.client_id,
                    secret=idp_client_secret(idp),
                    settings={},
                )
            )
        return apps

    def is_open_for_signup(self, request, sociallogin) -> bool:
        # Accounts come from invitations (bound in pre_social_login), never from this form.
        return False

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        return False

    def pre_social_login(self, request, sociallogin) -> None:
        from .services import sso_sign_in

        try:
            sso_sign_in(request=request, sociallogin=sociallogin)
        except Refusal as refusal:
            raise ImmediateHttpResponse(
                render(request, "sso/refused.html", {"message": refusal.message, "reason": refusal.reason}, status=403)
            ) from None

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        """An IdP that is down or answers badly (invalid token, state, nonce, audience, expiry):
        one clear page, nothing created, an audit event."""
        from audit.services import audit_record

        message = str(exception) if exception else "The sign-in was cancelled or did not complete."
        idp = getattr(provider, "app", None)
        audit_record(
            action="sso.error",
            actor=None,
            payload={
                "provider": getattr(idp, "provider_id", None),
                "error": str(error) if error else None,
                "detail": message[:500],
            },
        )
        raise ImmediateHttpResponse(
            render(request, "sso/error.html", {"message": message, "provider": getattr(idp, "name", "")}, status=400)
        )
