from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import AccessChange, Assignment, Review, ReviewAgency, ReviewGroupObjectPermission, ReviewTransition, ReviewUserObjectPermission


class ReviewAgencyInline(admin.TabularInline):
    model = ReviewAgency
    extra = 0


@admin.register(Review)
class ReviewAdmin(GuardedModelAdmin):
    """Program admins (the only staff) see and edit object permissions here too.

    Edits made through guardian's admin pages bypass the services' records,
    so the portal's "People with access" page is the recommended place.
    """

    list_display = ["id", "model", "company", "status", "window_end"]
    list_filter = ["status"]
    search_fields = ["model__name", "company__name"]
    list_select_related = ["model", "company"]
    inlines = [ReviewAgencyInline]
    raw_id_fields = ["model", "created_by"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["review", "reviewer", "agency", "status", "invited_at", "responded_at"]
    list_filter = ["status", "agency"]
    raw_id_fields = ["review", "reviewer", "invited_by", "removed_by"]


@admin.register(ReviewUserObjectPermission)
class ReviewUserGrantAdmin(admin.ModelAdmin):
    list_display = ["content_object", "user", "permission", "granted_by", "granted_at", "expires_at"]
    raw_id_fields = ["content_object", "user", "granted_by"]


@admin.register(ReviewGroupObjectPermission)
class ReviewGroupGrantAdmin(admin.ModelAdmin):
    list_display = ["content_object", "group", "permission", "granted_by", "granted_at", "expires_at"]
    raw_id_fields = ["content_object", "granted_by"]


@admin.register(AccessChange)
class AccessChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "review", "action", "permission", "user", "group", "actor", "reason"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(ReviewTransition)
