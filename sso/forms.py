from django import forms

from agencies.models import Agency
from companies.models import Company
from portal.forms import SingleLineField

from .models import IdentityProvider


class SsoStartForm(forms.Form):
    email = forms.EmailField(label="Work e-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class IdentityProviderForm(forms.Form):
    organisation = forms.ChoiceField(label="Organisation")
    name = SingleLineField(label="Name", max_length=100, help_text="Shown on the sign-in page, e.g. “NSA ICAM” or “Login.gov”.")
    issuer = SingleLineField(max_length=300, label="Issuer URL", help_text="e.g. https://idp.int.identitysandbox.gov")
    client_id = SingleLineField(max_length=200, label="Client id")
    client_secret = forms.CharField(
        required=False, label="Client secret", widget=forms.PasswordInput(render_value=False),
        help_text="For client_secret_post. Leave empty to keep the stored credential.",
    )
    private_key = forms.CharField(
        required=False, label="Private key (PEM)", widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="For private_key_jwt (required for Login.gov). Leave empty to keep the stored credential.",
    )
    key_id = SingleLineField(required=False, max_length=100, label="Key id (kid)")
    email_domains = SingleLineField(required=False, label="E-mail domains", help_text="Comma-separated, e.g. nsa.gov, cyber.nsa.gov")
    acr_values = SingleLineField(required=False, max_length=300, label="acr_values", help_text="Login.gov default: auth-only + phishing-resistant AAL2.")
    trust_idp_mfa = forms.BooleanField(required=False, label="The IdP's MFA satisfies the portal's (amr/acr)")
    login_gov = forms.BooleanField(required=False, label="Login.gov profile (private_key_jwt, PKCE, acr_values)")
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")

    def __init__(self, *args, idp: IdentityProvider | None = None, **kwargs):
        if idp is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "organisation": f"agency:{idp.agency_id}" if idp.agency_id else f"company:{idp.company_id}",
                "name": idp.name, "issuer": idp.issuer, "client_id": idp.client_id, "key_id": idp.key_id,
                "email_domains": ", ".join(idp.email_domains), "acr_values": idp.acr_values,
                "trust_idp_mfa": idp.trust_idp_mfa, "login_gov": idp.login_gov, "enabled": idp.enabled,
            }
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "Choose an organisation")] + [
            (f"agency:{a.pk}", f"{a.acronym} (agency)") for a in Agency.objects.order_by("acronym")
        ] + [(f"company:{c.pk}", f"{c.name} (company)") for c in Company.objects.order_by("name")]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kind, _, pk = data["organisation"].partition(":")
        return {
            "agency_id": int(pk) if kind == "agency" else None,
            "company_id": int(pk) if kind == "company" else None,
            "name": data["name"], "issuer": data["issuer"], "client_id": data["client_id"],
            "client_secret": data["client_secret"], "private_key": data["private_key"], "key_id": data["key_id"],
            "email_domains": [d for d in data["email_domains"].split(",")],
            "acr_values": data["acr_values"], "trust_idp_mfa": data["trust_idp_mfa"],
            "login_gov": data["login_gov"], "enabled": data["enabled"],
        }
