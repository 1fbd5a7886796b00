from django import forms

from portal.forms import SingleLineField

from .models import Category


class RfiCreateForm(forms.Form):
    subject = SingleLineField(label="Subject", max_length=200)
    question = forms.CharField(label="Question", widget=forms.Textarea(attrs={"rows": 4}))
    category = forms.TypedChoiceField(
        label="Category", choices=Category.choices, initial=Category.OTHER, required=False, empty_value=Category.OTHER
    )
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In your time zone. Leave empty for the default of 5 days.",
    )
    blocking = forms.BooleanField(
        label="Blocking: we cannot work until this is answered (the review clock stops meanwhile)", required=False
    )
    private = forms.BooleanField(
        label="Private to my agency: the other participating agencies do not see it (the company still does)",
        required=False,
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        # Empty files reach the document service, whose refusal names the file.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class RfiMessageForm(forms.Form):
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}))


class RfiAnswerForm(RfiMessageForm):
    attachments = MultipleFileField(
        label="Attachments",
        required=False,
        help_text="Stored as documents of this review (versioned, hashed and, where configured, virus-scanned).",
    )


class RfiCloseForm(forms.Form):
    body = forms.CharField(label="Closing note", widget=forms.Textarea(attrs={"rows": 2}), required=False)
