from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from . import crypto


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People join only through an invitation (accounts.views.invitation_accept),
        # which creates the account itself; allauth's sign-up stays closed.
        return False


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
