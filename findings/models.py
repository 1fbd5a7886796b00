"""Findings: a reviewer's result, internal to their agency until its lead shares it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords
from django.db.models import Q
from django.utils import timezone

DEFAULT_CATEGORIES = [
    "Vulnerability discovery",
    "Exploit development",
    "Malware generation",
    "Network intrusion planning",
    "Critical-infrastructure attack",
    "Safeguard bypass",
]


class FindingCategory(models.Model):
    """The catalogue program admins maintain (Django admin)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "finding categories"

    def __str__(self) -> str:
        return self.name


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    INFORMATIONAL = "informational", "Informational"


class Sharing(models.TextChoices):
    INTERNAL = "internal", "Internal to the author's agency"
    AGENCIES = "agencies", "Shared with the participating agencies"
    COMPANY = "company", "Shared with the company"


class FindingQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        """Admins: all. Agency users, on reviews they see: their own agency's
        findings and those shared with the agencies or the company. Company
        liaisons, on their reviews: only findings shared with the company."""
        from reviews.querysets import in_visible_reviews, user_may_see_anything

        if not user_may_see_anything(user):
            return self.none()
        qs = in_visible_reviews(self, user, review=review)
        if user.is_program_admin:
            return qs
        if user.is_company_liaison:
            return qs.filter(sharing=Sharing.COMPANY)
        if user.agency_id:
            return qs.filter(Q(agency_id=user.agency_id) | Q(sharing__in=[Sharing.AGENCIES, Sharing.COMPANY]))
        return self.none()


class Finding(models.Model):
    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="findings")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    category = models.ForeignKey(FindingCategory, on_delete=models.PROTECT, related_name="findings")
    severity = models.CharField(max_length=20, choices=Severity.choices)
    description = models.TextField()
    evidence = models.TextField(blank=True)
    sharing = models.CharField(max_length=20, choices=Sharing.choices, default=Sharing.INTERNAL)
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    shared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = FindingQuerySet.as_manager()
    history = HistoricalRecords(cascade_delete_history=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["review", "sharing"], name="finding_review_sharing_idx")]

    def __str__(self) -> str:
        return self.title


class FindingCommentQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        """Comments on findings the user sees; an internal comment stays within
        its author's agency (companies never see one)."""
        qs = self.filter(finding__in=Finding.objects.visible_to(user, review=review).values("id"))
        if getattr(user, "is_program_admin", False):
            return qs
        if getattr(user, "agency_id", None):
            return qs.filter(Q(internal=False) | Q(agency_id=user.agency_id))
        return qs.filter(internal=False)


class FindingComment(models.Model):
    """A comment on a finding; ``internal`` ones stay on the agency side. A
    company liaison's comment on a finding shared with them is their response."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=20, choices=[("agency", "Agency"), ("company", "Company")])
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    internal = models.BooleanField(default=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = FindingCommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(name="finding_comment_company_not_internal", condition=~Q(side="company", internal=True))
        ]

    def __str__(self) -> str:
        return f"Comment on finding {self.finding_id}"
