from django.contrib import admin

from portal.admin import ViewOnlyInline

from .models import InformationRequest, RfiMessage


class RfiMessageInline(ViewOnlyInline, admin.TabularInline):
    """The thread is the record of what each side said (and attached)."""

    model = RfiMessage
    extra = 0


@admin.register(InformationRequest)
class InformationRequestAdmin(admin.ModelAdmin):
    """Which review and agency an RFI belongs to decides who sees it: shown,
    not changed. RFIs are asked on the portal and never deleted."""

    list_display = ["id", "review", "agency", "subject", "status", "blocking", "due_at"]
    list_filter = ["status", "blocking"]
    readonly_fields = ["review", "agency", "asked_by", "created_at", "private"]
    inlines = [RfiMessageInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
