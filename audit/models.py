from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit trail.

    ``hash`` is the SHA-256 of this event's canonical content together with
    ``prev_hash`` (the previous event's hash), so editing, removing or
    re-ordering any event breaks the chain from there on
    (``manage.py verify_audit``). Labels are copied at write time so that the
    record still reads correctly after the actor or target changes or goes.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=60, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    actor_organisation = models.CharField(max_length=200, blank=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    review_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor_label or 'system'}"


class AuditHead(models.Model):
    """A single row locked by every writer, so events are chained one at a time."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    # How many events the chain holds, moved with every append under the same lock: the
    # office's unfiltered trail counts from here instead of counting every event each visit.
    events = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit head @ {self.last_event_id}"
