from django import forms
from django.contrib import admin

from .models import Recipient, Reminder, ReminderRule


class ReminderRuleForm(forms.ModelForm):
    recipients = forms.MultipleChoiceField(choices=Recipient.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ReminderRule
        fields = ["name", "deadline", "kind", "offset", "unit", "recipients", "channel", "subject", "is_active"]


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    """Program admins edit the deadline table; the model's clean() refuses a
    negative escalation delay, no recipients or an unknown deadline."""

    form = ReminderRuleForm
    list_display = ["name", "deadline", "kind", "offset", "unit", "recipients", "channel", "is_active"]
    list_filter = ["deadline", "kind", "is_active"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Every reminder owed or sent; failed deliveries (after the last retry) are filterable."""

    list_display = ["due_at", "rule", "review", "recipient", "state", "attempts", "last_error", "failed_at"]
    list_filter = [("failed_at", admin.EmptyFieldListFilter), ("sent_at", admin.EmptyFieldListFilter), "rule"]
    raw_id_fields = ["review", "recipient"]
    readonly_fields = [f.name for f in Reminder._meta.fields]

    def has_add_permission(self, request):
        return False
