from django import forms


class RfiCreateForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=200)
    question = forms.CharField(label="Question", widget=forms.Textarea(attrs={"rows": 4}))
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In your time zone. Leave empty for the default of 5 days.",
    )
    blocking = forms.BooleanField(
        label="Blocking: we cannot work until this is answered (the review clock stops meanwhile)", required=False
    )


class RfiMessageForm(forms.Form):
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}))


class RfiCloseForm(forms.Form):
    body = forms.CharField(label="Closing note", widget=forms.Textarea(attrs={"rows": 2}), required=False)
