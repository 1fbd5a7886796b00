from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from notifications.mail import email_queue

from . import crypto


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
        # A signed-in user enrolling their first authenticator has just proved
        # their password (the portal sends them here straight after login);
        # asking again would only teach people to type passwords twice.
        if app == "allauth.mfa":
            from allauth.core import context
            from allauth.mfa.models import Authenticator

            request = context.request
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and not Authenticator.objects.filter(user=user).exists():
                return False
        return super().is_reauthentication_required(app=app, **kwargs)


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
