from django import forms
from django.utils import timezone

from portal.forms import SingleLineField


class ZonedDateTimeField(forms.DateTimeField):
    """A date and time typed in ``zone`` (the reader's own time zone), whatever
    zone happens to be active; the cleaned value is an aware datetime."""

    def __init__(self, *args, zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def to_python(self, value):
        if self.zone is None:
            return super().to_python(value)
        with timezone.override(self.zone):
            return super().to_python(value)


class AuditFilterForm(forms.Form):
    q = SingleLineField(label="Search", required=False, help_text="Actions, people, objects, details")
    actor = SingleLineField(label="Actor (e-mail)", required=False)
    organisation = SingleLineField(label="Organisation", required=False)
    target = SingleLineField(label="Object", required=False, help_text="A name, or type:id such as reviews.review:12")
    action = SingleLineField(label="Action", required=False, help_text="A code or its start, e.g. document.download or review.")
    since = ZonedDateTimeField(label="From", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = ZonedDateTimeField(label="Until", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, zone=None, **kwargs):
        """``zone``: the reader's time zone; From and Until are read in it and say so."""
        super().__init__(*args, **kwargs)
        zone = zone or timezone.get_current_timezone()
        for name in ("since", "until"):
            self.fields[name].zone = zone
            self.fields[name].label = f"{self.fields[name].label} ({zone})"
            self.fields[name].help_text = "In your time zone."

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            self.add_error("until", "The end of the range must be after its start.")
        return data
