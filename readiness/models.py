"""Readiness benchmarks: the criteria catalogue and each review's checklist against it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

DEFAULT_CRITERIA = [
    ("Access instructions", "How the agencies reach the model, with working credentials.", True),
    ("Model card", "Intended use, limitations and training overview.", True),
    ("Evaluation results on standard cyber benchmarks", "Results on recognised offensive-security benchmarks (CTF suites and the like).", True),
    ("Safeguards documentation", "Refusal policies, classifiers and monitoring in place at release.", True),
    ("24/7 point of contact", "Someone the agencies can reach at any hour during the window.", True),
    ("Secure access method", "Access over an authenticated, encrypted channel with logging.", False),
]


class ReadinessCriterion(models.Model):
    """One benchmark of the catalogue program admins maintain (Django admin)."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    mandatory = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Inactive criteria are left off new checklists.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "readiness criteria"

    def __str__(self) -> str:
        return self.name


class Answer(models.TextChoices):
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"
    NA = "na", "Not applicable"


class ChecklistItemQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None, material: bool = False):
        """Each participating agency's checklist is its own: agency users see their
        agency's items only; the program office and the company see every agency's
        (companies without who answered). ``material``: past the terms gate too
        (``reviews.querysets.in_visible_reviews``)."""
        from reviews.querysets import in_visible_reviews

        qs = in_visible_reviews(self, user, review=review, material=material)
        if getattr(user, "is_agency_lead", False) or getattr(user, "is_agency_reviewer", False):
            qs = qs.filter(agency_id=user.agency_id)
        return qs


class ChecklistItem(models.Model):
    """One criterion of one participating agency's checklist on a review."""

    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="checklist")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    criterion = models.ForeignKey(ReadinessCriterion, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=20, choices=Answer.choices, blank=True)
    note = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ChecklistItemQuerySet.as_manager()

    class Meta:
        ordering = ["agency__acronym", "criterion__position", "criterion__name", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "agency", "criterion"], name="checklist_item_unique_per_agency")]

    def __str__(self) -> str:
        return f"{self.criterion} on review {self.review_id} ({self.agency})"
