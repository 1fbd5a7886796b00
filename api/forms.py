from django import forms

from portal.forms import SingleLineField

EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never (until revoked)")]


class TokenCreateForm(forms.Form):
    name = SingleLineField(max_length=100, label="Name", help_text="What will use it, e.g. “release pipeline”.")
    expires_in_days = forms.TypedChoiceField(
        choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False, initial="90", label="Expires"
    )
