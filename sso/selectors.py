"""Reads for single sign-on."""

from __future__ import annotations

from .models import IdentityProvider, SignInPolicy


def enabled_identity_providers():
    return IdentityProvider.objects.filter(enabled=True).select_related("agency", "company")


def identity_provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider whose e-mail domains include the address's domain (domains are unique per organisation)."""
    domain = (email or "").strip().lower().rpartition("@")[2]
    if not domain:
        return None
    for idp in enabled_identity_providers():
        if domain in idp.email_domains:
            return idp
    return None


def identity_provider_list(*, user):
    """Every provider, for program admins; nobody else manages them."""
    if not user.is_program_admin:
        return IdentityProvider.objects.none()
    return IdentityProvider.objects.select_related("agency", "company").order_by("name")


def requires_phishing_resistant_mfa(user) -> bool:
    agency_id, company_id = user.agency_id, user.company_id
    if not (agency_id or company_id):
        return False
    qs = SignInPolicy.objects.filter(require_phishing_resistant_mfa=True)
    return qs.filter(agency_id=agency_id).exists() if agency_id else qs.filter(company_id=company_id).exists()


def sign_in_methods(user_ids) -> dict[int, str]:
    """How each person signs in, for the People page: "Login.gov", "NSA ICAM (SSO)", "Password + passkey" …"""
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    names = {idp.slug: idp.name for idp in IdentityProvider.objects.all()}
    result: dict[int, str] = {}
    for user_id, provider in SocialAccount.objects.filter(user_id__in=user_ids).values_list("user_id", "provider"):
        result[user_id] = f"{names.get(provider, provider)} (single sign-on)"
    kinds: dict[int, set] = {}
    for user_id, kind in Authenticator.objects.filter(user_id__in=user_ids).values_list("user_id", "type"):
        kinds.setdefault(user_id, set()).add(kind)
    for user_id in user_ids:
        if user_id in result:
            continue
        found = kinds.get(user_id, set())
        if "webauthn" in found:
            result[user_id] = "Password + passkey / security key"
        elif "totp" in found:
            result[user_id] = "Password + authenticator app"
        else:
            result[user_id] = "Password (no second factor yet)"
    return result
