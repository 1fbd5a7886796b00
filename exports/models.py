"""Closing packages: one signed zip per request (review × the requester's audience), built by Celery."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PackageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ExportPackageQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        """A package is its requester's (it holds what their audience may hold), and only while
        they still see its review."""
        from reviews.querysets import in_visible_reviews

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return in_visible_reviews(self.filter(requested_by=user), user, review=review)


class ExportPackage(models.Model):
    """A signed closing package: the zip in storage (``file``), its size and SHA-256, and the
    build's progress (``done_bytes`` of ``total_bytes``)."""

    review = models.ForeignKey("reviews.Review", on_delete=models.PROTECT, related_name="export_packages")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    audience = models.CharField(max_length=200, help_text="The organisation the package was cut for.")
    audience_kind = models.CharField(max_length=20)
    include_files = models.BooleanField(default=True, help_text="False: the documents' hashes only.")
    status = models.CharField(max_length=20, choices=PackageStatus.choices, default=PackageStatus.QUEUED)
    total_bytes = models.PositiveBigIntegerField(default=0)
    done_bytes = models.PositiveBigIntegerField(default=0)
    file = models.CharField(max_length=200, blank=True, help_text="The zip's name in the default storage.")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    files_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportPackageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "review", "-created_at"], name="exportpkg_user_review")]

    def __str__(self) -> str:
        return f"Closing package {self.pk} of review {self.review_id} for {self.audience}"

    @property
    def percent(self) -> int:
        if self.status == PackageStatus.READY:
            return 100
        if not self.total_bytes:
            return 0
        return min(99, int(100 * self.done_bytes / self.total_bytes))

    @property
    def in_progress(self) -> bool:
        return self.status in (PackageStatus.QUEUED, PackageStatus.BUILDING)

    @property
    def download_name(self) -> str:
        return f"review-{self.review_id}-closing-package-{self.pk}.zip"
