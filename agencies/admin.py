from django.contrib import admin

from .models import Agency


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["acronym", "name", "created_at"]
    search_fields = ["acronym", "name"]
    readonly_fields = ["leads_group"]

    def save_model(self, request, obj, form, change):
        """A new agency is created by ``agency_create`` (with its leads group)."""
        if change:
            return super().save_model(request, obj, form, change)
        from .services import agency_create

        created = agency_create(acronym=obj.acronym, name=obj.name)
        obj.pk, obj.acronym, obj.leads_group, obj.created_at = created.pk, created.acronym, created.leads_group, created.created_at
        return None
