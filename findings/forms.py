from django import forms

from portal.forms import SingleLineField

from .models import FindingCategory, Severity, Sharing


class FindingForm(forms.Form):
    title = SingleLineField(label="Title", max_length=200)
    category = forms.ModelChoiceField(queryset=FindingCategory.objects.filter(active=True), label="Category")
    severity = forms.ChoiceField(label="Severity", choices=Severity.choices, widget=forms.RadioSelect)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 5}))
    evidence = forms.CharField(label="Evidence", widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].error_messages["required"] = "Choose a severity."


class ShareForm(forms.Form):
    sharing = forms.ChoiceField(
        label="Share with", choices=[(Sharing.AGENCIES, Sharing.AGENCIES.label), (Sharing.COMPANY, Sharing.COMPANY.label)]
    )


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label="Internal: only my agency sees it", required=False, initial=True)
