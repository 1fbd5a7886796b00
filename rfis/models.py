"""Information requests (RFIs): a question from the agencies to the company, with a thread."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords
from django.utils import timezone


class RfiStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class Side(models.TextChoices):
    AGENCY = "agency", "Agency"
    COMPANY = "company", "Company"


class InformationRequestQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        """Whoever sees the review sees its RFIs (companies see the agency, never the asker)."""
        from reviews.querysets import in_visible_reviews

        return in_visible_reviews(self, user, review=review)


class InformationRequest(models.Model):
    """A question to the company with a due date.

    ``blocking`` marks a question without whose answer the agencies cannot
    work (e.g. the access credentials fail): while it waits on the company
    the review's clock stops (reviews.services.clock).
    """

    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="rfis")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=200)
    question = models.TextField()
    due_at = models.DateTimeField()
    blocking = models.BooleanField(default=False, help_text="The agencies cannot work until it is answered; the clock stops.")
    status = models.CharField(max_length=20, choices=RfiStatus.choices, default=RfiStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = InformationRequestQuerySet.as_manager()
    history = HistoricalRecords(cascade_delete_history=False)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = "information request"
        indexes = [
            models.Index(fields=["review", "status", "due_at"], name="rfi_review_status_due_idx"),
            # The reminder sweep's range scan over open requests by due date.
            models.Index(fields=["due_at"], condition=models.Q(status="open"), name="rfi_open_due_idx"),
        ]

    def __str__(self) -> str:
        return f"RFI #{self.pk}: {self.subject}"

    @property
    def is_overdue(self) -> bool:
        return self.status == RfiStatus.OPEN and self.due_at < timezone.now()

    @property
    def display_status(self) -> str:
        return "overdue" if self.is_overdue else self.status


class RfiMessage(models.Model):
    """One entry of an RFI's thread: the question, an answer, a reopening, a closing note."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        ANSWER = "answer", "Answer"
        REOPEN = "reopen", "Reopened"
        CLOSE = "close", "Closed"

    rfi = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=20, choices=Side.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Files sent with an answer are ordinary documents of the review (versioned,
    # hashed, scanned, access-recorded); the thread points at them.
    attachments = models.ManyToManyField("documents.Document", blank=True, related_name="rfi_messages")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on RFI {self.rfi_id}"
