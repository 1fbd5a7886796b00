"""Reviews, assignments and grants are shown here and changed only on the
portal's pages, through the services: a grant written here would have no
``AccessChange`` record, reason or audit event (guardian's object-permission
pages are therefore not offered), and a status set here would skip the
workflow's guards and the grants that follow it."""

from django.contrib import admin

from portal.admin import ViewOnlyAdmin, ViewOnlyInline

from .models import AccessChange, Assignment, Review, ReviewAgency, ReviewGroupObjectPermission, ReviewTransition, ReviewUserObjectPermission


class ReviewAgencyInline(ViewOnlyInline, admin.TabularInline):
    model = ReviewAgency
    extra = 0


@admin.register(Review)
class ReviewAdmin(ViewOnlyAdmin):
    """Who has access is managed on the review's "People with access" page."""

    list_display = ["id", "model", "company", "status", "window_end"]
    list_filter = ["status"]
    search_fields = ["model__name", "company__name"]
    list_select_related = ["model", "company"]
    inlines = [ReviewAgencyInline]
    raw_id_fields = ["model", "created_by"]


@admin.register(Assignment)
class AssignmentAdmin(ViewOnlyAdmin):
    list_display = ["review", "reviewer", "agency", "status", "invited_at", "responded_at"]
    list_filter = ["status", "agency"]
    raw_id_fields = ["review", "reviewer", "invited_by", "removed_by"]


@admin.register(ReviewUserObjectPermission)
class ReviewUserGrantAdmin(ViewOnlyAdmin):
    list_display = ["content_object", "user", "permission", "granted_by", "granted_at", "expires_at"]
    raw_id_fields = ["content_object", "user", "granted_by"]


@admin.register(ReviewGroupObjectPermission)
class ReviewGroupGrantAdmin(ViewOnlyAdmin):
    list_display = ["content_object", "group", "permission", "granted_by", "granted_at", "expires_at"]
    raw_id_fields = ["content_object", "granted_by"]


@admin.register(AccessChange)
class AccessChangeAdmin(ViewOnlyAdmin):
    list_display = ["at", "review", "action", "permission", "user", "group", "actor", "reason"]
    list_filter = ["action"]


@admin.register(ReviewTransition)
class ReviewTransitionAdmin(ViewOnlyAdmin):
    list_display = ["at", "review", "name", "source", "target", "actor"]
