from django.contrib import admin

from portal.admin import ViewOnlyAdmin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(ViewOnlyAdmin):
    """Read-only: tokens are created and revoked by their owners (services record each in the audit trail)."""

    list_display = ["name", "prefix", "user", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__email"]
    list_select_related = ["user"]
    # The hash is never shown, not even here.
    fields = readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
