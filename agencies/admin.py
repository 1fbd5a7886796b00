from django.contrib import admin

from .models import Agency


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["acronym", "name", "created_at"]
    search_fields = ["acronym", "name"]
    readonly_fields = ["leads_group"]
