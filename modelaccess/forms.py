from django import forms

from portal.forms import SingleLineField

from .models import CredentialKind, EndpointKind

CSV_MAX_BYTES = 1024 * 1024


def _when(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In your time zone. Leave empty for the whole review window.",
    )


class EndpointForm(forms.Form):
    name = SingleLineField(label="Name", max_length=200, help_text="What reviewers call it, e.g. “Atlas-2 evaluation API”.")
    kind = forms.ChoiceField(label="Kind", choices=EndpointKind.choices)
    url = forms.URLField(label="Address", max_length=500, required=False, assume_scheme="https", help_text="Not needed for on-site access.")
    instructions = forms.CharField(label="Instructions", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    rate_limits = SingleLineField(label="Rate limits", max_length=300, required=False, help_text="e.g. 60 requests a minute per key.")
    available_from = _when("Works from")
    available_until = _when("Works until")


class CredentialIssueForm(forms.Form):
    endpoint = forms.TypedChoiceField(label="Endpoint", coerce=int)
    reviewer = forms.ChoiceField(label="Reviewer", help_text="Reviewers are shown by agency and number; the company never sees their names.")
    kind = forms.ChoiceField(label="Kind of credential", choices=CredentialKind.choices)
    username = SingleLineField(label="Username", max_length=200, required=False, help_text="Only with a username and password.")
    # Never rendered back into the page (render_value=False): an invalid form does not echo the secret.
    secret = forms.CharField(
        label="Secret", required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="The key, token or password. Encrypted at once and shown to the reviewer once.",
    )
    file = forms.FileField(label="File", required=False, help_text="For a file credential, such as a client certificate.")

    def __init__(self, *args, endpoints=(), pseudonyms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoint"].choices = [(e.pk, e.name) for e in endpoints]
        self.fields["reviewer"].choices = [(p, p) for p in pseudonyms]


class CredentialImportForm(forms.Form):
    endpoint = forms.TypedChoiceField(label="Endpoint", coerce=int)
    kind = forms.ChoiceField(label="Kind of credential", choices=[(CredentialKind.API_KEY, "API key"), (CredentialKind.TOKEN, "Token")])
    file = forms.FileField(label="CSV file", help_text="One row per reviewer: reviewer-pseudonym,secret (e.g. NSA reviewer 1,sk-…).")

    def __init__(self, *args, endpoints=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoint"].choices = [(e.pk, e.name) for e in endpoints]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(f"The CSV file is {upload.size:,} bytes; at most {CSV_MAX_BYTES:,} are allowed.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The CSV file must be UTF-8 text.") from None


class RevokeForm(forms.Form):
    reason = SingleLineField(label="Reason", max_length=300, required=False)
