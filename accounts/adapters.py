from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from notifications.mail import email_queue
from portal.http import client_address

from . import crypto
from .assurance import session_mfa_verified


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People join only through an invitation (accounts.views.invitation_accept),
        # which creates the account itself; allauth's sign-up stays closed.
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's messages (password reset, security notices) go through the
        portal's outbox like every e-mail: sent after commit by a worker, retried,
        never inside the request. Their links sign someone in: stored encrypted
        until sent."""
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site
        from django.utils.html import strip_tags

        request = allauth_context.request
        msg = self.render_mail(template_prefix, email, {"request": request, "email": email, "current_site": get_current_site(request), **context})
        body = msg.body if msg.content_subtype == "plain" else strip_tags(msg.body)
        email_queue(to=email, subject=msg.subject, body=body, kind="account", sensitive=True)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        from allauth.core import context
        from allauth.mfa.models import Authenticator

        request = context.request
        user = getattr(request, "user", None)
        if app == "allauth.mfa" and user is not None and user.is_authenticated:
            has_authenticator = Authenticator.objects.filter(user=user).exists()
            # A signed-in user enrolling their first authenticator has just proved
            # their password (the portal sends them here straight after login);
            # asking again would only teach people to type passwords twice.
            if not has_authenticator:
                return False
            # A session that never completed an MFA step must not manage the
            # account's authenticators on a password alone (it could add its own
            # passkey and so become "verified"): it proves an existing factor first.
            if not session_mfa_verified(request):
                return True
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_reauthentication_methods(self, user):
        methods = super().get_reauthentication_methods(user)
        from allauth.core import context

        request = context.request
        second = [m for m in methods if m["id"].startswith("mfa_")]
        if request is not None and user.is_authenticated and not session_mfa_verified(request, user) and second:
            # An unverified session reauthenticates with a second factor, never the password alone.
            return second
        # A second factor first: it is the stronger proof for a step-up.
        return second + [m for m in methods if not m["id"].startswith("mfa_")]

    def get_client_ip(self, request) -> str:
        # One rule for the client address (trusted proxies): rate limits, user sessions and audit agree.
        return client_address(request)


class PortalMFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)

    def can_delete_authenticator(self, authenticator) -> bool:
        # Where MFA is required, a user may not remove their only TOTP
        # authenticator; a program admin resets it in the admin instead.
        if settings.PORTAL_REQUIRE_MFA and authenticator.type == authenticator.Type.TOTP:
            return False
        return super().can_delete_authenticator(authenticator)
