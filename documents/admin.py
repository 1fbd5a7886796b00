from django.contrib import admin

from .models import Document, DocumentAccess, DocumentVersion, HandlingMarking


@admin.register(HandlingMarking)
class HandlingMarkingAdmin(admin.ModelAdmin):
    list_display = ("name", "short_label", "downloads_allowed", "watermark_pdf", "is_default", "ordering")
    list_editable = ("ordering",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Documents, versions and access records are evidence: admins read them, never change or delete them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "review", "marking", "created_at")
    list_filter = ("kind", "marking")


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ReadOnlyAdmin):
    list_display = ("document", "number", "original_name", "size", "content_type", "scan_status", "uploaded_at")
    list_filter = ("scan_status",)


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ReadOnlyAdmin):
    list_display = ("version", "user", "agency", "action", "at", "client_address")
