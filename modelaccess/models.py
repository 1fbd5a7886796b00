"""Model access: how agencies reach the model under review, and each reviewer's credential.

The company describes one or more ``AccessEndpoint`` per review (an API, a
hosted playground, a weights download, an on-site session) and issues one
``Credential`` per accepted reviewer and endpoint. The secret is stored only
as a Fernet token (``modelaccess.crypto``, keys from
``PORTAL_CREDENTIAL_KEYS``, never ``SECRET_KEY``) and is erased once the
reviewer has seen it, or once the credential ends: the portal keeps no
secret longer than it must.

Whether a credential may still be revealed is decided when it is read
(``modelaccess.rules``), from the review and the reviewer's grant, so an
ended grant stops a reveal before any clean-up task runs; the task and the
reviews hooks then record the end (``ended_at``) and tell the company which
credentials to rotate on its side.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EndpointKind(models.TextChoices):
    API = "api", "API"
    PLAYGROUND = "playground", "Hosted playground"
    WEIGHTS = "weights", "Weights download"
    ONSITE = "onsite", "On-site"


class AccessEndpoint(models.Model):
    """How to reach the model under review (no secret here: everyone on the review may read it)."""

    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="access_endpoints")
    name = models.CharField(max_length=200, help_text="What the reviewers call it, e.g. “Atlas-2 evaluation API”.")
    kind = models.CharField(max_length=20, choices=EndpointKind.choices)
    url = models.URLField(max_length=500, blank=True, help_text="Where to reach it (not needed on site).")
    instructions = models.TextField(blank=True)
    rate_limits = models.CharField(max_length=300, blank=True)
    available_from = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="endpoint_window_in_order",
                condition=Q(available_from__isnull=True) | Q(available_until__isnull=True) | Q(available_until__gt=models.F("available_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class CredentialKind(models.TextChoices):
    API_KEY = "api_key", "API key"
    TOKEN = "token", "Token"
    PASSWORD = "password", "Username and password"
    FILE = "file", "File (e.g. a client certificate)"


class CredentialQuerySet(models.QuerySet):
    def live(self):
        """Issued, not revoked, not ended (it may still have lapsed: see ``modelaccess.rules``)."""
        return self.filter(revoked_at__isnull=True, ended_at__isnull=True)


class Credential(models.Model):
    """One reviewer's credential to one endpoint; the secret is encrypted and shown once."""

    endpoint = models.ForeignKey(AccessEndpoint, on_delete=models.PROTECT, related_name="credentials")
    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="credentials")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=CredentialKind.choices)
    # A Fernet token (MultiFernet over PORTAL_CREDENTIAL_KEYS) of the secret; empty once revealed or ended.
    secret = models.TextField(blank=True, editable=False)
    file_name = models.CharField(max_length=200, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    revealed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoke_reason = models.CharField(max_length=300, blank=True)
    # The reviewer's grant ended (or the endpoint's window): the company rotates it on its side.
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    rotated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Attempts to reveal again after the single view (each alerted the company and the program office).
    repeat_attempts = models.PositiveIntegerField(default=0)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "reviewer"],
                condition=Q(revoked_at__isnull=True, ended_at__isnull=True),
                name="credential_one_live_per_reviewer_endpoint",
            ),
        ]
        indexes = [
            models.Index(fields=["review", "reviewer"], name="credential_review_reviewer_idx"),
            models.Index(fields=["review"], condition=Q(revoked_at__isnull=True, ended_at__isnull=True), name="credential_live_idx"),
        ]

    def __str__(self) -> str:
        # Never the secret: this is what logs, the admin and error pages would show.
        return f"{self.get_kind_display()} #{self.pk} for {self.endpoint.name}"

    def __repr__(self) -> str:
        return f"<Credential #{self.pk}>"

    @property
    def to_rotate(self) -> bool:
        return self.ended_at is not None and self.rotated_at is None
