from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

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
