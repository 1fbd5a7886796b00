from django.contrib import admin

from portal.admin import ViewOnlyAdmin

from .models import SavedSearch


@admin.register(SavedSearch)
class SavedSearchAdmin(ViewOnlyAdmin):
    """Saved searches, read-only, for the program office's support: whose
    alerts are on, when each was last run and last told of something new (a
    ``checked_at`` far behind says the alert worker is not keeping up). What
    a reader searched for is already the office's to read in the audit trail
    (``search.run``). Alerts are turned off and searches removed by their
    owner only (``search.services``): no change or deletion here, so nothing
    is changed without its owner's record."""

    list_display = ["owner", "text", "params", "alert", "created_at", "checked_at", "alerted_at"]
    list_filter = ["alert"]
    search_fields = ["owner__email", "text"]
    list_select_related = ["owner"]
    exclude = ["reported"]  # the ids last told: the alert's own bookkeeping
    readonly_fields = [f.name for f in SavedSearch._meta.fields if f.name != "reported"]
    ordering = ["checked_at", "pk"]
