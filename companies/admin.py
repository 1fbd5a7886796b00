from django.contrib import admin

from .models import AIModel, Company


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    """A new company is created by ``company_create`` (with its liaisons group)."""

    list_display = ["name", "slug", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["liaisons_group"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        from .services import company_create

        created = company_create(name=obj.name, slug=obj.slug)
        obj.pk, obj.liaisons_group, obj.created_at = created.pk, created.liaisons_group, created.created_at
        return None


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    """A model's company decides who sees it (and its reviews): set once."""

    list_display = ["name", "version", "company", "modality", "planned_release_date"]
    list_filter = ["modality", "company"]
    search_fields = ["name"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(["company"] if obj is not None else [])]
