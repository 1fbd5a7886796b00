from django import forms
from django.contrib import admin

from .models import Recipient, Reminder, ReminderRule
from .texts import FIELDS


class ReminderRuleForm(forms.ModelForm):
    recipients = forms.MultipleChoiceField(choices=Recipient.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ReminderRule
        fields = ["name", "deadline", "kind", "offset", "unit", "recipients", "channel", "subject", "body", "is_active"]
        help_texts = {
            "subject": "Placeholders (nothing else in braces is accepted): "
            + "; ".join("{" + name + "} " + meaning for name, meaning in FIELDS.items()),
        }


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    """Program admins edit the deadline table; the model's clean() refuses a
    negative escalation delay, no recipients, an unknown deadline, and texts
    with anything in braces but the fixed placeholders (reminders.texts)."""

    form = ReminderRuleForm
    list_display = ["name", "deadline", "kind", "offset", "unit", "recipients", "channel", "is_active"]
    list_filter = ["deadline", "kind", "is_active"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Every reminder owed, sent, refused or missed; filterable by outcome."""

    list_display = ["due_at", "rule", "review", "recipient", "state", "attempts", "last_error", "sent_at", "failed_at", "missed_at"]
    list_filter = [
        ("sent_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
        ("missed_at", admin.EmptyFieldListFilter),
        "rule",
    ]
    ordering = ["-due_at", "id"]
    raw_id_fields = ["review", "recipient"]
    readonly_fields = [f.name for f in Reminder._meta.fields]

    def has_add_permission(self, request):
        return False
