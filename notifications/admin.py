from django.contrib import admin

from .models import Email, Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "title", "created_at", "read_at"]
    raw_id_fields = ["recipient"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "updated_at"]
    raw_id_fields = ["user"]


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    """The outbox, read-only: what was e-mailed to whom, what is being retried and why, what was refused or missed."""

    list_display = ["created_at", "kind", "to", "subject", "state", "attempts", "last_error", "sent_at"]
    list_filter = [
        "kind",
        ("sent_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
        ("missed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["to", "subject"]
    raw_id_fields = ["recipient"]
    exclude = ["body"]  # may hold a sign-in link until sent (stored encrypted then)
    readonly_fields = [f.name for f in Email._meta.fields if f.name != "body"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
