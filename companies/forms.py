from django import forms

from portal.forms import SingleLineField

from .models import AIModel, Modality


class AIModelForm(forms.Form):
    """A model's facts as its company's liaison registers or corrects them."""

    name = SingleLineField(label="Name", max_length=120)
    version = SingleLineField(label="Version", max_length=60, required=False, help_text="For example 2.0 or 2026-11.")
    modality = forms.ChoiceField(label="Modality", choices=Modality.choices, initial=Modality.TEXT)
    capability_summary = forms.CharField(
        label="Capability summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the model can do that the agencies should know about.",
    )
    planned_release_date = forms.DateField(
        label="Planned release date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty if not decided.",
        error_messages={"invalid": "Enter the planned release date as a date, for example 2027-03-31."},
    )

    @classmethod
    def for_model(cls, model: AIModel, data=None):
        return cls(data, initial={k: getattr(model, k) for k in cls.base_fields})
