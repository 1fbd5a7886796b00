from django.contrib import admin

from .models import Finding, FindingCategory


@admin.register(FindingCategory)
class FindingCategoryAdmin(admin.ModelAdmin):
    """The category catalogue program admins maintain."""

    list_display = ["name", "position", "active"]
    list_editable = ["position", "active"]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    """Program admins may correct a finding's wording and category; who sees
    it (its review, agency, author and sharing) changes only through the
    agency lead's sharing on the portal. Findings are recorded by reviewers
    and never deleted."""

    list_display = ["title", "review", "agency", "severity", "sharing", "created_at"]
    list_filter = ["severity", "sharing", "category"]
    readonly_fields = [
        "review", "agency", "author", "sharing", "shared_by", "shared_at", "created_at",
        # The lifecycle moves only through its services (findings.workflow), each move recorded.
        "status", "response", "response_rationale", "fix_planned_for", "risk_expires_at", "retest_result", "closed_at",
        "duplicate_of", "taxonomy",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
