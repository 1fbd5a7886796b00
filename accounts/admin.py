from allauth.mfa.admin import AuthenticatorAdmin as BaseAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from portal.admin import ViewOnlyAdmin

from .models import Invitation, Membership, User


class MembershipInline(admin.StackedInline):
    """Saved through ``membership_set`` (UserAdmin.save_formset), so the
    organisation's group and the staff flags follow the role, as everywhere."""

    model = Membership
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Who a user is and may see: the membership (role and organisation) is
    edited here and applied by ``accounts.services.membership_set``; group
    membership and the staff and superuser flags follow from it and are shown
    read-only (a group added by hand would be a side door to every review of
    that organisation). Deactivating ends the user's sessions
    (``user_deactivate``). Users are deactivated, never deleted."""

    ordering = ["email"]
    list_display = ["email", "full_name", "membership", "is_active", "last_login"]
    list_filter = ["is_active", "membership__role"]
    search_fields = ["email", "full_name"]
    list_select_related = ["membership__agency", "membership__company"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "time_zone")}),
        ("Status", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["is_staff", "is_superuser", "groups", "last_login", "date_joined"]
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from .services import user_deactivate, user_reactivate

        # The flag itself is changed by the service (which refuses a change that is none).
        active = obj.is_active
        toggled = change and "is_active" in form.changed_data
        if toggled:
            obj.is_active = form.initial.get("is_active", not active)
        super().save_model(request, obj, form, change)
        if toggled:
            if active:
                user_reactivate(user=obj, actor=request.user)
            else:
                user_deactivate(user=obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        from .services import membership_set

        for membership_form in formset.forms:
            if not membership_form.has_changed():
                continue
            data = membership_form.cleaned_data
            membership_set(
                user=form.instance,
                role=data["role"],
                agency_id=data["agency"].pk if data.get("agency") else None,
                company_id=data["company"].pk if data.get("company") else None,
                actor=request.user,
            )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None


@admin.register(Invitation)
class InvitationAdmin(ViewOnlyAdmin):
    """Invitations are sent and withdrawn on the portal's invitations page
    (which e-mails and records them); a role changed here would be granted on
    acceptance without a record."""

    list_display = ["email", "role", "agency", "company", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    exclude = ["token_hash"]


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ViewOnlyAdmin):
    """Groups are the organisations' (an agency's leads, a company's liaisons),
    joined and left through memberships; their members are shown, not edited."""

    list_display = ["name"]
    search_fields = ["name"]
    fields = ["name", "members"]
    readonly_fields = ["name", "members"]

    @admin.display(description="Members")
    def members(self, obj):
        return ", ".join(sorted(u.email for u in obj.user_set.all())) or "—"


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(BaseAuthenticatorAdmin):
    """Second factors are enrolled by their owners; an admin may only remove
    one (a reset, recorded like every admin change), never write a secret."""

    readonly_fields = ["user", "type", "created_at", "last_used_at"]
    exclude = ["data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
