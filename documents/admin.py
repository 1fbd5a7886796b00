from django.contrib import admin

from portal.admin import ViewOnlyAdmin  # documents, versions and access records are evidence

from .models import Document, DocumentAccess, DocumentVersion, HandlingMarking


@admin.register(HandlingMarking)
class HandlingMarkingAdmin(admin.ModelAdmin):
    list_display = ("name", "short_label", "downloads_allowed", "watermark_pdf", "is_default", "ordering")
    list_editable = ("ordering",)


@admin.register(Document)
class DocumentAdmin(ViewOnlyAdmin):
    list_display = ("title", "kind", "review", "marking", "created_at")
    list_filter = ("kind", "marking")


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ViewOnlyAdmin):
    list_display = ("document", "number", "original_name", "size", "content_type", "scan_status", "uploaded_at")
    list_filter = ("scan_status",)


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ViewOnlyAdmin):
    list_display = ("version", "user", "agency", "action", "at", "client_address")
