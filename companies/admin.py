from django.contrib import admin

from .models import AIModel, Company


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["liaisons_group"]


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "company", "modality", "planned_release_date"]
    list_filter = ["modality", "company"]
    search_fields = ["name"]
