from django.contrib import admin

from .models import InformationRequest, RfiMessage


class RfiMessageInline(admin.TabularInline):
    model = RfiMessage
    extra = 0
    raw_id_fields = ["author"]


@admin.register(InformationRequest)
class InformationRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "review", "agency", "subject", "status", "blocking", "due_at"]
    list_filter = ["status", "blocking"]
    raw_id_fields = ["review", "asked_by"]
    inlines = [RfiMessageInline]
