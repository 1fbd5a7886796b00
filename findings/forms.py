from django import forms

from portal.forms import ModelChoiceField, SingleLineField

import re
from datetime import datetime, time

from django.utils import timezone

from .models import SEVERITY_RUBRIC, FindingCategory, Response, RetestResult, Severity, Sharing


def _severity_help() -> str:
    return " ".join(f"{Severity(k).label}: {v}" for k, v in SEVERITY_RUBRIC.items())


class TaxonomyField(SingleLineField):
    """Catalogue ids separated by commas or spaces ("LLM01, AML.T0051, GAI-9");
    the service refuses an unknown one, naming it."""

    def clean(self, value):
        value = super().clean(value)
        return [code for code in re.split(r"[\s,;]+", value or "") if code]


class FindingForm(forms.Form):
    title = SingleLineField(label="Title", max_length=200)
    category = ModelChoiceField(queryset=FindingCategory.objects.filter(active=True), label="Category")
    severity = forms.ChoiceField(label="Severity", choices=Severity.choices, widget=forms.RadioSelect)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 5}))
    evidence = forms.CharField(label="Evidence", widget=forms.Textarea(attrs={"rows": 4}), required=False)
    taxonomy = TaxonomyField(
        label="Taxonomy ids", max_length=500, required=False,
        help_text="OWASP LLM Top 10 2025 (LLM01–LLM10), MITRE ATLAS techniques (AML.T0051 …), NIST AI 600-1 risks "
        "(GAI-1 … GAI-12), separated by commas. The catalogues are listed below the form.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].error_messages["required"] = "Choose a severity."
        self.fields["severity"].help_text = _severity_help()


class FindingCreateForm(FindingForm):
    draft = forms.BooleanField(label="Save as a draft (record it later)", required=False)


def _end_of_day(day):
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


class RespondForm(forms.Form):
    response = forms.ChoiceField(label="Response", choices=Response.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label="Rationale", widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text="Required when you accept the risk or dispute the finding.",
    )
    fix_planned_for = forms.DateField(
        label="Fix planned for", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required with “Fix planned”.",
    )
    risk_expires_on = forms.DateField(
        label="Risk acceptance expires on", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required with “Risk accepted”: on that day the finding opens again.",
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        expires = data.get("risk_expires_on")
        return {
            "response": data["response"], "rationale": data.get("rationale", ""),
            "fix_planned_for": data.get("fix_planned_for"), "risk_expires_at": _end_of_day(expires) if expires else None,
        }


class RetestForm(forms.Form):
    result = forms.ChoiceField(label="Result", choices=RetestResult.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label="What was retested", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def service_kwargs(self) -> dict:
        return {"result": self.cleaned_data["result"], "comment": self.cleaned_data.get("comment", "")}


class CloseForm(forms.Form):
    comment = forms.CharField(label="Why close it?", widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict:
        return {"comment": self.cleaned_data["comment"]}


class RecordForm(forms.Form):
    comment = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def service_kwargs(self) -> dict:
        return {"comment": self.cleaned_data.get("comment", "")}


TRANSITION_FORMS = {"record": RecordForm, "respond": RespondForm, "retest": RetestForm, "close": CloseForm}


class ShareForm(forms.Form):
    sharing = forms.ChoiceField(
        label="Share with", choices=[(Sharing.AGENCIES, Sharing.AGENCIES.label), (Sharing.COMPANY, Sharing.COMPANY.label)]
    )


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label="Internal: only my agency sees it", required=False, initial=True)


class EvidenceForm(forms.Form):
    """The attachment's facts; the file is read from request.FILES (documents' upload handler)."""

    stage = forms.ChoiceField(
        label="Evidence of", choices=[("finding", "The finding"), ("retest", "A retest")], initial="finding",
    )
    marking = ModelChoiceField(
        queryset=None, empty_label=None, label="Handling marking",
        help_text="Its rules apply to the file: view-only, or PDF downloads watermarked with the reader's name.",
    )
    title = SingleLineField(label="Title", max_length=200, required=False, help_text="Leave empty to use the file's name.")

    def __init__(self, *args, **kwargs):
        from documents.models import HandlingMarking

        super().__init__(*args, **kwargs)
        self.fields["marking"].queryset = HandlingMarking.objects.all()
        default = HandlingMarking.objects.filter(is_default=True).first()
        if default:
            self.fields["marking"].initial = default.pk
