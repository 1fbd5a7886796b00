from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords
from django.db.models import Q
from django.utils import timezone

from .querysets import DocumentQuerySet, DocumentVersionQuerySet


class DocumentKind(models.TextChoices):
    MODEL_CARD = "model_card", "Model card"
    SYSTEM_CARD = "system_card", "System card"
    EVALUATION_RESULTS = "evaluation_results", "Evaluation results"
    RED_TEAM_REPORT = "red_team_report", "Red-team report"
    ACCESS_INSTRUCTIONS = "access_instructions", "Access instructions"
    SECURITY_DOCUMENTATION = "security_documentation", "Security documentation"
    OTHER = "other", "Other"


# The kinds a review's readiness checklist expects ("other" is never missing).
EXPECTED_KINDS = [k for k in DocumentKind if k != DocumentKind.OTHER]


class HandlingMarking(models.Model):
    """A handling marking with rules: view-only, and PDF watermarking at download time."""

    name = models.CharField(max_length=120, unique=True)
    short_label = models.CharField(max_length=40, blank=True, help_text="Banner label, e.g. CUI // PROPIN.")
    description = models.TextField(blank=True)
    downloads_allowed = models.BooleanField(
        default=True, help_text="When off, files open only in the browser (PDFs and images); nothing else can be fetched."
    )
    watermark_pdf = models.BooleanField(
        default=False, help_text="Stamp user, organisation, time and document hash on each page of a downloaded PDF."
    )
    is_default = models.BooleanField(default=False)
    ordering = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["ordering", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_marking")
        ]

    def __str__(self) -> str:
        return self.name


class DocumentPurpose(models.TextChoices):
    REVIEW = "review", "Review documentation"
    EVIDENCE = "evidence", "Evidence of a finding"


class Document(models.Model):
    """A piece of documentation handed over for a review; its content lives in versions.

    ``purpose`` "evidence": an attachment of a finding or retest (findings.FindingEvidence).
    Such a document is visible exactly to those who see its finding, so the documents
    app never lists, counts or serves it (``visible_to`` excludes it); the findings app
    serves it after checking the finding.
    """

    review = models.ForeignKey("reviews.Review", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    marking = models.ForeignKey(HandlingMarking, on_delete=models.PROTECT, related_name="documents")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    purpose = models.CharField(max_length=20, choices=DocumentPurpose.choices, default=DocumentPurpose.REVIEW)

    objects = DocumentQuerySet.as_manager()
    history = HistoricalRecords(cascade_delete_history=False)

    class Meta:
        ordering = ["kind", "title", "id"]
        indexes = [models.Index(fields=["review", "kind"], name="document_review_kind_idx")]

    def __str__(self) -> str:
        return self.title


class ScanStatus(models.TextChoices):
    PENDING = "pending", "Scan pending"
    CLEAN = "clean", "Scanned, clean"
    INFECTED = "infected", "Quarantined"
    NOT_SCANNED = "not_scanned", "Not scanned"


def version_upload_to(instance, filename: str) -> str:
    # A random stored name; the original name is kept as data only.
    return f"documents/{uuid.uuid4().hex}"


class DocumentVersion(models.Model):
    """One uploaded file. Versions are never overwritten or deleted."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=version_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=120)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    scan_status = models.CharField(max_length=20, choices=ScanStatus.choices, default=ScanStatus.PENDING)
    scan_detail = models.TextField(blank=True, help_text="Why the scan is pending, or what it found.")
    scanned_at = models.DateTimeField(null=True, blank=True)

    objects = DocumentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number_unique"),
            models.CheckConstraint(name="document_version_not_empty", condition=Q(size__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"

    @property
    def opens_inline(self) -> bool:
        return self.content_type == "application/pdf" or self.content_type in ("image/png", "image/jpeg")

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class AccessKind(models.TextChoices):
    VIEW = "view", "Viewed"
    DOWNLOAD = "download", "Downloaded"


class DocumentAccess(models.Model):
    """One view or download of a document version (append-only)."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=20, choices=AccessKind.choices)
    at = models.DateTimeField(default=timezone.now)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "document accesses"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["version", "-at"], name="document_access_version_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.version_id}"
