from django.contrib import admin

from .models import ReadinessCriterion


@admin.register(ReadinessCriterion)
class ReadinessCriterionAdmin(admin.ModelAdmin):
    """The readiness catalogue program admins maintain."""

    list_display = ["name", "mandatory", "position", "active"]
    list_editable = ["mandatory", "position", "active"]
