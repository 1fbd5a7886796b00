from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from portal.loading import RowLoaded

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


class Document(RowLoaded):
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
        indexes = [
            models.Index(fields=["review", "kind"], name="document_review_kind_idx"),
            # A search's date filter (search.selectors.common._dated): a range on the moment.
            models.Index(fields=["created_at"], name="document_created_idx"),
        ]

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
    # The marking this version was handed over under: its rules (view-only, watermark)
    # apply to it. Changing a document's marking re-marks its current version and
    # the versions to come; earlier versions keep theirs.
    marking = models.ForeignKey(HandlingMarking, on_delete=models.PROTECT, related_name="versions")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    scan_status = models.CharField(max_length=20, choices=ScanStatus.choices, default=ScanStatus.PENDING)
    scan_detail = models.TextField(blank=True, help_text="Why the scan is pending, or what it found.")
    scanned_at = models.DateTimeField(null=True, blank=True)

    objects = DocumentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["document", "-number"]
        # A saved search's alert reads the versions of its window (search.selectors.activity).
        indexes = [models.Index(fields=["uploaded_at"], name="document_version_uploaded_idx")]
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


class DocumentChange(models.Model):
    """One edit of a document's title, kind or marking: who, when, and each field's
    old and new value (``changes``: ``{"title": ["old", "new"], ...}``, markings and
    kinds by their labels). Shown on the document's page; append-only."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField()
    version_number = models.PositiveIntegerField(
        null=True, blank=True, help_text="The version a marking change applied to (the current one at the time)."
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Change of document {self.document_id}"

    FIELD_LABELS = {"title": "Title", "kind": "Kind", "marking": "Marking"}

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """(field label, from, to) for the page."""
        return [(self.FIELD_LABELS.get(k, k), v[0], v[1]) for k, v in self.changes.items()]


class TextStatus(models.TextChoices):
    EXTRACTED = "extracted", "Text extracted"
    REFUSED = "refused", "Refused"
    NO_TEXT = "no_text", "No text to extract"


class DocumentText(models.Model):
    """The text of one version, for full-text search (documents.extraction).

    Written only by ``version_text_extract`` after the version's scan passes
    (or when it was stored without a scanner); re-extracting replaces it. A
    PDF that is encrypted or malformed is refused: ``status`` says so and
    ``reason`` why, and the version itself is unaffected. Who may search a
    version's text is who may read the version
    (``DocumentVersion.objects.readable_by``). On PostgreSQL the row also
    holds ``search_vector`` (English ``tsvector`` of the text, GIN-indexed),
    set by the same service in the same transaction.
    """

    version = models.OneToOneField(DocumentVersion, on_delete=models.CASCADE, primary_key=True, related_name="text")
    status = models.CharField(max_length=20, choices=TextStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    truncated = models.BooleanField(default=False, help_text="The page or size limit cut the text short.")
    indexed_chars = models.PositiveIntegerField(default=0, help_text="How much of the text the search vector covers.")
    extracted_at = models.DateTimeField(default=timezone.now)
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    # Its adjacent-word pairs (``search_pairs(search_vector)``, migration 0008):
    # a quoted phrase is looked up here first.
    search_pairs = SearchVectorField(null=True, blank=True, editable=False)
    # The version's review, copied (a document never changes review): a search
    # keeps the texts on the user's reviews without joining version and
    # document for each match (search.probe).
    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="+", editable=False)
    # The text of an evidence file (its document's purpose, copied): search reads those texts
    # off indexes of their own (documents migration 0013), not among every handed-over text.
    evidence = models.BooleanField(default=False, db_default=False, editable=False)

    def __str__(self) -> str:
        return f"text of version {self.version_id} ({self.status})"
