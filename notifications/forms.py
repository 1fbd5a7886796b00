from django import forms

from .models import EmailPreference


class PreferenceForm(forms.Form):
    email = forms.ChoiceField(
        label="E-mail me about notifications",
        choices=EmailPreference.choices,
        widget=forms.RadioSelect,
        help_text="Escalations (overdue deadlines) are always e-mailed.",
    )
