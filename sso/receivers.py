"""After a sign-in: the IdP's assurance on the session, the organisation's MFA policy, the audit event."""

from __future__ import annotations


def on_login(sender, request, user, **kwargs) -> None:
    """allauth's user_logged_in: a sign-in through an IdP records its acr/amr (and, for a
    trusted IdP asserting MFA, verifies the session) and is audited as ``sso.login``."""
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is None or request is None:
        return
    from audit.services import audit_record

    from .models import IdentityProvider
    from .services import session_record_idp

    idp = IdentityProvider.objects.filter(slug=sociallogin.account.provider).first()
    if idp is None:
        return
    claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
    assurance = session_record_idp(request, user, idp, claims)
    audit_record(
        action="sso.login",
        actor=user,
        target=user,
        payload={"provider": idp.slug, "issuer": idp.issuer, "sub": sociallogin.account.uid, **assurance},
    )


def on_any_login(sender, request, user, **kwargs) -> None:
    """Django's user_logged_in (every path): remember the organisation's MFA policy for this session."""
    if request is None or getattr(request, "session", None) is None:
        return
    from accounts.assurance import PHISHING_RESISTANT_REQUIRED

    from .selectors import requires_phishing_resistant_mfa

    request.session[PHISHING_RESISTANT_REQUIRED] = user.pk if requires_phishing_resistant_mfa(user) else None
