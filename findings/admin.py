from django.contrib import admin

from .models import Finding, FindingCategory


@admin.register(FindingCategory)
class FindingCategoryAdmin(admin.ModelAdmin):
    """The category catalogue program admins maintain."""

    list_display = ["name", "position", "active"]
    list_editable = ["position", "active"]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["title", "review", "agency", "severity", "sharing", "created_at"]
    list_filter = ["severity", "sharing", "category"]
    raw_id_fields = ["review", "author", "shared_by"]
