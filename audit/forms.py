from django import forms

from portal.forms import SingleLineField


class AuditFilterForm(forms.Form):
    q = SingleLineField(label="Search", required=False)
    actor = SingleLineField(label="Actor (e-mail)", required=False)
    organisation = SingleLineField(label="Organisation", required=False)
    target = SingleLineField(label="Object", required=False, help_text="A name, or type:id such as reviews.review:12")
    action = SingleLineField(label="Action", required=False, help_text="e.g. document.download or review.")
    since = forms.DateTimeField(label="From (UTC)", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(label="Until (UTC)", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            self.add_error("until", "The end of the range must be after its start.")
        return data
