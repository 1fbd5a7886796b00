from django import forms

from .models import Answer


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(label="Answer", choices=Answer.choices, widget=forms.RadioSelect)
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}), required=False)
