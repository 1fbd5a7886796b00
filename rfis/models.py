"""Information requests (RFIs): a question from the agencies to the company, with a thread."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from portal.loading import RowLoaded


class RfiStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class Side(models.TextChoices):
    AGENCY = "agency", "Agency"
    COMPANY = "company", "Company"


class Category(models.TextChoices):
    ARCHITECTURE = "architecture", "Architecture"
    SAFEGUARDS = "safeguards", "Safeguards"
    EVALUATIONS = "evaluations", "Evaluations"
    ACCESS = "access", "Access"
    SECURITY_PRACTICES = "security_practices", "Security practices"
    OTHER = "other", "Other"


class InformationRequestQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None, among=None, material: bool = False):
        """Whoever sees the review sees its shared RFIs (companies see the agency,
        never the asker); an agency-private one only its own agency, the
        company it is asked of and the program office. ``material``: past the
        terms gate too (``reviews.querysets.in_visible_reviews``)."""
        from reviews.querysets import in_visible_reviews

        qs = in_visible_reviews(self, user, review=review, among=among, material=material)
        agency_id = getattr(user, "agency_id", None)
        if agency_id and not getattr(user, "is_program_admin", False):
            qs = qs.filter(models.Q(private=False) | models.Q(agency_id=agency_id))
        return qs


class InformationRequest(RowLoaded):
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
    category = models.CharField(max_length=30, choices=Category.choices, default=Category.OTHER)
    private = models.BooleanField(
        default=False, help_text="Agency-private: the other participating agencies do not see it (the company still does)."
    )
    # Routing: the company assigns the question to one of its liaisons (who is then
    # the one reminded of its due date); the answered question can join the review's FAQ.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The company's liaison who answers it (reminders go to them).",
    )
    faq_published_at = models.DateTimeField(null=True, blank=True)
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
            # The reminder sweep's range scan over open requests by due date, and the
            # overdue lists in due order (ties on the date: by id, without sorting them all).
            models.Index(fields=["due_at", "id"], condition=models.Q(status="open"), name="rfi_open_due_id_idx"),
            # A search's date filter (search.selectors.common._dated): a range on the moment.
            models.Index(fields=["created_at"], name="rfi_created_idx"),
        ]

    def __str__(self) -> str:
        return f"RFI #{self.pk}: {self.subject}"

    @property
    def is_overdue(self) -> bool:
        return self.status == RfiStatus.OPEN and self.due_at < timezone.now()

    @property
    def display_status(self) -> str:
        return "overdue" if self.is_overdue else self.status

    def asking_agency_ids(self) -> list[int]:
        """The asking agency first, then the agencies that followed it (prefetch ``follows``)."""
        return [self.agency_id, *(f.agency_id for f in self.follows.all())]

    def asking_acronyms(self) -> list[str]:
        """"NSA", "CISA" …: every agency that asked (prefetch ``follows__agency``)."""
        return [self.agency.acronym, *(f.agency.acronym for f in self.follows.all())]


class RfiFollow(models.Model):
    """An agency that asks the same question as another: it follows the RFI
    instead of asking again, sees the answer and is shown as having asked it
    ("also asked by CISA"). Once per agency; never on an agency-private RFI."""

    rfi = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="follows")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    followed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["rfi", "agency"], name="rfi_follow_once_per_agency")]

    def __str__(self) -> str:
        return f"{self.agency_id} follows RFI {self.rfi_id}"


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
        # A saved search's alert reads the replies of its window (search.selectors.activity).
        indexes = [models.Index(fields=["created_at"], name="rfi_message_created_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on RFI {self.rfi_id}"
