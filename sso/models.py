"""Organisations' identity providers (OIDC, Login.gov) and their sign-in policy.

An ``IdentityProvider`` is data a program admin keeps (the portal pages or
``manage.py sso_provider``); allauth sees each enabled one as a SocialApp of
the ``portal_oidc`` provider (sso.adapter.list_apps), and a person's binding
to it is allauth's ``SocialAccount(provider=<slug>, uid=<sub>)``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class IdentityProvider(models.Model):
    slug = models.SlugField(max_length=40, unique=True, help_text="Part of the redirect URI: /accounts/sso/<slug>/login/callback/")
    name = models.CharField(max_length=100, help_text="Shown on the sign-in button, e.g. “NSA ICAM” or “Login.gov”.")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    issuer = models.URLField(max_length=300, help_text="The IdP's issuer; its /.well-known/openid-configuration is read.")
    client_id = models.CharField(max_length=200)
    # Encrypted with PORTAL_ENCRYPTION_KEY (accounts.crypto); one of the two is set.
    client_secret = models.TextField(blank=True)
    private_key = models.TextField(blank=True, help_text="PEM private key for private_key_jwt, encrypted at rest.")
    key_id = models.CharField(max_length=100, blank=True, help_text="The kid of the public key registered with the IdP.")
    email_domains = models.JSONField(default=list, blank=True, help_text="Addresses of these domains sign in here.")
    trust_idp_mfa = models.BooleanField(default=False, help_text="The IdP's MFA (amr/acr) satisfies the portal's.")
    login_gov = models.BooleanField(default=False, help_text="Login.gov profile: private_key_jwt, PKCE, acr_values.")
    acr_values = models.CharField(max_length=300, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="idp_one_organisation",
                condition=Q(agency__isnull=False, company__isnull=True) | Q(agency__isnull=True, company__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def organisation(self):
        return self.agency or self.company

    @property
    def auth_method(self) -> str:
        return "private_key_jwt" if self.private_key else "client_secret_post"


class SignInPolicy(models.Model):
    """What an organisation demands of its members' sign-in."""

    agency = models.OneToOneField("agencies.Agency", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    company = models.OneToOneField("companies.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    require_phishing_resistant_mfa = models.BooleanField(
        default=False, help_text="Only passkeys / security keys or an IdP asserting phishing-resistant sign-in; TOTP is refused."
    )

    class Meta:
        verbose_name = "sign-in policy"
        verbose_name_plural = "sign-in policies"
        constraints = [
            models.CheckConstraint(
                name="signin_policy_one_organisation",
                condition=Q(agency__isnull=False, company__isnull=True) | Q(agency__isnull=True, company__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"Sign-in policy of {self.agency or self.company}"
