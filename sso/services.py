"""Writes for single sign-on: identity providers, sign-in policies, bindings, refusals.

Every change is an audit event in the same transaction. Secrets and private
keys are encrypted at rest with PORTAL_ENCRYPTION_KEY (accounts.crypto) and
never leave these functions in clear except to sign a client assertion.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts import crypto
from accounts.people import possessive
from audit.services import audit_record
from portal.errors import Refused

from .models import IdentityProvider, SignInPolicy

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Refusal(Refused):
    """A sign-in through an identity provider that is refused; ``reason`` is the
    audited code, the message is what the person reads. Nothing is written."""

    code = "sso_refused"

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def idp_private_key(idp: IdentityProvider) -> str:
    return crypto.decrypt(idp.private_key) if idp.private_key else ""


def idp_client_secret(idp: IdentityProvider) -> str:
    return crypto.decrypt(idp.client_secret) if idp.client_secret else ""


def _check_issuer(issuer: str) -> str:
    issuer = (issuer or "").strip()
    parts = urlsplit(issuer)
    if not parts.scheme or not parts.netloc:
        raise ValidationError({"issuer": "Enter the issuer as a full URL, e.g. https://idp.agency.gov."})
    if parts.query or parts.fragment:
        raise ValidationError({"issuer": "The issuer URL has no query or fragment."})
    loopback = parts.hostname in LOOPBACK_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback and settings.PORTAL_SSO_ALLOW_HTTP_LOOPBACK):
        raise ValidationError({"issuer": "The issuer must use https://."})
    return issuer.rstrip("/")


def _check_private_key(pem: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ValidationError({"private_key": "The private key is not an unencrypted PEM private key."}) from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise ValidationError({"private_key": "An RSA key needs at least 2048 bits."})
    elif not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValidationError({"private_key": "Use an RSA (2048 bits or more) or EC P-256 private key."})


def _check_domains(domains, *, agency_id, company_id, exclude_pk) -> list[str]:
    cleaned = []
    for raw in domains or []:
        domain = raw.strip().lower().lstrip("@")
        if not domain:
            continue
        if not DOMAIN_RE.match(domain):
            raise ValidationError({"email_domains": f"“{raw}” is not a domain name (e.g. agency.gov)."})
        cleaned.append(domain)
    others = IdentityProvider.objects.exclude(pk=exclude_pk).exclude(agency_id=agency_id, company_id=company_id)
    for other in others:
        taken = set(cleaned) & set(other.email_domains)
        if taken:
            raise ValidationError(
                {"email_domains": f"{', '.join(sorted(taken))} already belongs to {possessive(other.organisation)} identity provider."}
            )
    return sorted(set(cleaned))


@transaction.atomic
def identity_provider_save(
    *,
    actor,
    agency_id: int | None = None,
    company_id: int | None = None,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str = "",
    private_key: str = "",
    key_id: str = "",
    email_domains: list[str] | None = None,
    trust_idp_mfa: bool = False,
    login_gov: bool = False,
    acr_values: str = "",
    enabled: bool = True,
    slug: str = "",
    idp: IdentityProvider | None = None,
) -> IdentityProvider:
    """Creates or updates an organisation's identity provider (``idp`` given: update).

    Refuses, naming the field: an issuer that is not an https URL (http only on
    loopback where PORTAL_SSO_ALLOW_HTTP_LOOPBACK allows it, for tests), no
    client id, neither or both of secret and key, a key that is not a PEM
    private key, a Login.gov profile without a private key, a malformed domain
    or one another organisation's provider already routes. An empty secret or
    key on update keeps the stored one. Side effect: audit
    ``sso.provider.create`` / ``sso.provider.update`` (never with secrets).
    """
    if not (actor.is_active and actor.is_program_admin):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only program admins configure identity providers.")
    if bool(agency_id) == bool(company_id):
        raise ValidationError({"organisation": "Choose exactly one agency or company."})
    creating = idp is None
    idp = idp or IdentityProvider()
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Name the provider as people will see it, e.g. “NSA ICAM”."
    if not (client_id or "").strip():
        errors["client_id"] = "Enter the client id the IdP issued to the portal."
    try:
        issuer = _check_issuer(issuer)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    has_secret = bool(client_secret) or (not creating and bool(idp.client_secret) and not private_key)
    has_key = bool(private_key) or (not creating and bool(idp.private_key) and not client_secret)
    if private_key:
        try:
            _check_private_key(private_key)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if client_secret and private_key:
        errors["private_key"] = "Give a client secret or a private key, not both."
    elif not (has_secret or has_key):
        errors["client_secret"] = "Give a client secret or a private key (private_key_jwt)."
    if login_gov and not has_key:
        errors["private_key"] = "Login.gov requires private_key_jwt: give the private key whose public half is registered there."
    try:
        domains = _check_domains(email_domains, agency_id=agency_id, company_id=company_id, exclude_pk=idp.pk)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        domains = []
    if errors:
        raise ValidationError(errors)

    before = None if creating else {f: getattr(idp, f) for f in ("name", "issuer", "client_id", "email_domains", "trust_idp_mfa", "login_gov", "acr_values", "enabled", "key_id")}
    idp.agency_id, idp.company_id = agency_id, company_id
    idp.name, idp.issuer, idp.client_id = name.strip(), issuer, client_id.strip()
    idp.key_id, idp.email_domains = key_id.strip(), domains
    idp.trust_idp_mfa, idp.login_gov, idp.acr_values, idp.enabled = trust_idp_mfa, login_gov, acr_values.strip(), enabled
    rotated = []
    if client_secret:
        idp.client_secret, idp.private_key = crypto.encrypt(client_secret), ""
        rotated.append("client_secret")
    if private_key:
        idp.private_key, idp.client_secret = crypto.encrypt(private_key.strip() + "\n"), ""
        rotated.append("private_key")
    if creating:
        base = slugify(slug or name)[:30] or "idp"
        candidate, n = base, 2
        while IdentityProvider.objects.filter(slug=candidate).exists():
            candidate, n = f"{base}-{n}", n + 1
        idp.slug = candidate
    idp.full_clean()
    idp.save()
    after = {f: getattr(idp, f) for f in ("name", "issuer", "client_id", "email_domains", "trust_idp_mfa", "login_gov", "acr_values", "enabled", "key_id")}
    changed = after if creating else {k: v for k, v in after.items() if before[k] != v}
    audit_record(
        action="sso.provider.create" if creating else "sso.provider.update",
        actor=actor,
        target=idp,
        payload={"changed": changed, "credentials_rotated": rotated, "organisation": str(idp.organisation)},
    )
    return idp


@transaction.atomic
def sign_in_policy_set(*, actor, agency_id=None, company_id=None, require_phishing_resistant_mfa: bool) -> SignInPolicy:
    """Sets whether an organisation requires phishing-resistant MFA. Side effect: audit ``sso.policy.set``."""
    if not (actor.is_active and actor.is_program_admin):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only program admins set sign-in policies.")
    policy, _ = SignInPolicy.objects.get_or_create(agency_id=agency_id, company_id=company_id)
    policy.require_phishing_resistant_mfa = require_phishing_resistant_mfa
    policy.full_clean()
    policy.save()
    audit_record(
        action="sso.policy.set",
        actor=actor,
        target=policy,
        payload={"require_phishing_resistant_mfa": require_phishing_resistant_mfa},
    )
    return policy


# --- signing in ---------------------------------------------------------------------------------

# RFC 8176 methods that are a second factor, and those that resist phishing.
MFA_AMR = {"mfa", "otp", "hwk", "swk", "sc", "fpt", "face", "iris", "retina", "vbm", "phr", "phrh", "pop"}
PHISHING_RESISTANT_AMR = {"hwk", "sc", "phr", "phrh"}
AAL2 = "http://idmanagement.gov/ns/assurance/aal/2"
AAL3 = "http://idmanagement.gov/ns/assurance/aal/3"


def idp_assurance(claims: dict) -> dict:
    """What an ID token says about how the person authenticated at the IdP.

    ``{"acr": str, "amr": [..], "mfa": bool, "phishing_resistant": bool}`` from
    ``amr`` (RFC 8176) and ``acr`` (NIST AALs as Login.gov and federal IdPs send them).
    """
    acr = str(claims.get("acr") or "")
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    amr = [str(a) for a in amr]
    phishing_resistant = bool(PHISHING_RESISTANT_AMR & set(amr)) or acr.startswith(AAL3) or (
        acr.startswith(AAL2) and "phishing_resistant=true" in acr
    )
    mfa = phishing_resistant or bool(MFA_AMR & set(amr)) or acr.startswith(AAL2)
    return {"acr": acr, "amr": amr, "mfa": mfa, "phishing_resistant": phishing_resistant}


def _same_organisation(user, idp) -> bool:
    return bool(
        (idp.agency_id and user.agency_id == idp.agency_id) or (idp.company_id and user.company_id == idp.company_id)
    )


def sso_sign_in(*, request, sociallogin) -> None:
    """Decides a sign-in through an IdP (allauth's pre_social_login); binds on first use.

    Allows: an account already bound to this (IdP, sub), active and still of
    the IdP's organisation; or, the first time, a verified e-mail of one of
    the IdP's domains that belongs to an unbound account of the IdP's
    organisation or has a pending invitation into it — then the account is
    created from the invitation (as accepting it would) and bound, in one
    transaction. A step-up (process "redirect") must come back with the
    identity the session's user is bound to, and records a fresh
    authentication. Anything else raises ``Refusal`` having
    written nothing but the ``sso.refused`` audit event.
    """
    from allauth.socialaccount.models import SocialAccount

    from accounts.models import Invitation, User

    from .models import IdentityProvider

    idp = IdentityProvider.objects.select_related("agency", "company").get(slug=sociallogin.account.provider)
    data = sociallogin.account.extra_data or {}
    claims = data.get("id_token") or {}
    info = data.get("userinfo") or claims
    sub = str(sociallogin.account.uid)
    email = str(info.get("email") or "").strip().lower()
    process = (sociallogin.state or {}).get("process")
    facts = {"provider": idp.slug, "issuer": idp.issuer, "sub": sub, "email": email, **idp_assurance(claims)}

    def refuse(reason: str, message: str):
        audit_record(action="sso.refused", actor=None, actor_label=email[:254], payload={**facts, "reason": reason})
        raise Refusal(reason, message)

    if process == "redirect":  # step-up for a sensitive act
        user = request.user
        if not (user.is_authenticated and sociallogin.is_existing and sociallogin.user.pk == user.pk):
            refuse("step_up_other_identity", "You confirmed your identity as someone else. Sign in again as yourself.")
        from allauth.account.internal.flows.login import record_authentication

        record_authentication(request, user, "socialaccount", provider=idp.slug, uid=sub, reauthenticated=True)
        session_record_idp(request, user, idp, claims)
        audit_record(action="sso.step_up", actor=user, target=user, payload=facts)
        return
    if process != "login":
        refuse("connect_refused", "Identity providers are bound at your first sign-in only; nothing was connected.")

    if sociallogin.is_existing:
        user = sociallogin.user
        if not user.is_active:
            refuse("inactive", "This account is deactivated. Contact the program office.")
        if not _same_organisation(user, idp):
            refuse("organisation_changed", f"Your account no longer belongs to {idp.organisation}. Contact the program office.")
        return

    if not email:
        refuse("no_email", f"{idp.name} did not tell the portal your e-mail address; nothing was created.")
    if info.get("email_verified") not in (True, "true", "True", 1):
        refuse("email_unverified", f"{idp.name} has not verified your e-mail address {email}; nothing was created.")
    domain = email.rpartition("@")[2]
    if domain not in idp.email_domains:
        refuse(
            "foreign_domain",
            f"{idp.name} signs in people of {idp.organisation} only; {email} is not one of its addresses. Nothing was created.",
        )
    user = User.objects.filter(email__iexact=email).select_related("membership").first()
    invitation = None
    if user is not None:
        if SocialAccount.objects.filter(user=user).exists():
            refuse(
                "bound_elsewhere",
                "This e-mail address already signs in through another identity. Nothing was changed; "
                "contact the program office if that is wrong.",
            )
        if not user.is_active or not _same_organisation(user, idp):
            refuse("not_member", f"There is no invitation for {email} into {idp.organisation}. Nothing was created.")
    else:
        invitation = (
            Invitation.objects.pending()
            .filter(email__iexact=email, agency_id=idp.agency_id, company_id=idp.company_id)
            .order_by("-created_at")
            .first()
        )
        if invitation is None:
            refuse(
                "no_invitation",
                f"There is no pending invitation for {email} into {idp.organisation}. Ask your organisation's lead "
                "or the program office to invite you; nothing was created.",
            )
    sso_bind(sociallogin=sociallogin, idp=idp, user=user, invitation=invitation, full_name=str(info.get("name") or ""), facts=facts)


@transaction.atomic
def sso_bind(*, sociallogin, idp, user=None, invitation=None, full_name: str = "", facts: dict) -> None:
    """Binds an account (existing, or created from ``invitation``) to the IdP's (issuer, sub).

    The account's password stops working (set unusable): it signs in only
    through its IdP from now on. Side effects: the invitation is used, the
    membership made and the address verified (as ``invitation_accept`` does);
    audit ``sso.bind`` (and ``invitation.accept``).
    """
    from allauth.account.models import EmailAddress

    from accounts.models import Invitation, User
    from accounts.services import membership_set

    if invitation is not None:
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at or invitation.revoked_at or User.objects.filter(email__iexact=invitation.email).exists():
        
            raise Refusal("invitation_used", "This invitation has just been used. Sign in again.")
        user = User(email=invitation.email, full_name=(full_name.strip() or invitation.full_name)[:150])
        user.set_unusable_password()
        user.full_clean()
        user.save()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        membership_set(user=user, role=invitation.role, agency_id=invitation.agency_id, company_id=invitation.company_id)
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
        audit_record(action="invitation.accept", actor=user, target=invitation, payload={"role": invitation.role, "via": idp.slug})
    else:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    account = sociallogin.account
    account.user = user
    account.full_clean(exclude=["user"])
    account.save()
    sociallogin.user = user
    audit_record(action="sso.bind", actor=user, target=user, payload=facts)


def session_record_idp(request, user, idp, claims: dict) -> dict:
    """Keeps the IdP's acr/amr on the session; a trusted IdP's MFA verifies the session."""
    from accounts.assurance import record_session_mfa

    assurance = idp_assurance(claims)
    request.session["_portal_idp"] = {"provider": idp.slug, "name": idp.name, "acr": assurance["acr"], "amr": assurance["amr"]}
    if idp.trust_idp_mfa and assurance["mfa"]:
        method = "idp_phishing_resistant" if assurance["phishing_resistant"] else "idp"
        record_session_mfa(request, user, method=method, how="idp", provider=idp.slug, acr=assurance["acr"])
    return assurance
