from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from .query import MAX_LENGTH


class SearchRecord(models.Model):
    """One search request that was answered (the page, its htmx parts as one
    types, or the API), waiting to be folded into the audit trail.

    A search shows snippets of what it finds, so it is recorded like a view.
    Writing a hash-chained audit event on every keystroke would lock the
    chain's head once a keystroke; instead each answered request adds one of
    these rows (no lock), and ``search.services.search_records_fold`` turns a
    reader's settled run of them into one ``search.run`` event and deletes
    them in the same transaction. Until then the rows are the record: a
    worker that is down only delays the event.
    """

    VIA_PAGE = "page"
    VIA_API = "api"
    VIA_CHOICES = [(VIA_PAGE, "search page"), (VIA_API, "API")]

    at = models.DateTimeField()
    # Kept like the audit trail's actor (no database constraint): the id and label stay if the account goes.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    actor_organisation = models.CharField(max_length=200, blank=True)
    via = models.CharField(max_length=8, choices=VIA_CHOICES)
    text = models.CharField(max_length=MAX_LENGTH)
    # The filters that were set, by the form's field names (type, review, agency, …, page); dates as ISO 8601.
    filters = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Each type's count as the reader was shown it ("100+" past the cap), by the type's name ("questions").
    found = models.JSONField(default=dict, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["at"], name="search_record_at")]

    def __str__(self) -> str:
        return f"{self.actor_label} searched {self.text!r} at {self.at:%Y-%m-%d %H:%M:%S}"


class SavedSearch(models.Model):
    """A search a reader keeps: its words and filters, to run again from the
    list of saved searches, and — with ``alert`` on — to be told when
    something new they may see matches it.

    ``params`` holds the filters as the search page's address carries them
    (the form's field names, in a fixed order, without the words and the
    page), so the saved search opens as the same address. Alerts are checked
    by ``search.services.saved_searches_check``: the search is run again for
    the owner, scoped as any search of theirs, over what was created since a
    day before ``checked_at``; a match that was not among ``reported`` (the
    matches of the last check's window, told or already there when the search
    was saved) is new.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    text = models.CharField(max_length=MAX_LENGTH)
    params = models.CharField(max_length=1000, blank=True)
    alert = models.BooleanField(default=True, help_text="Tell the owner when something new matches.")
    created_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(default=timezone.now)
    # "kind:id" of each match in the last check's window (at most CAP of a kind).
    reported = models.JSONField(default=list, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "saved searches"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["owner", "text", "params"], name="saved_search_unique")]
        indexes = [models.Index(fields=["checked_at"], condition=models.Q(alert=True), name="saved_search_due")]

    def __str__(self) -> str:
        return f"{self.owner}: {self.text!r}" + (f" ({self.params})" if self.params else "")
