from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .texts import PLACEHOLDER_HELP, template_problems


class Deadline(models.TextChoices):
    REVIEW_WINDOW_END = "review_window_end", "Review window end"
    ASSIGNMENT_ANSWER = "assignment_answer", "Assignment answer due"
    RFI_DUE = "rfi_due", "Information request due"
    REVIEW_SUBMITTED = "review_submitted", "Review submitted, not yet opened"
    REVIEW_OPENED = "review_opened", "Review opened, agency without an accepted reviewer"


class Recipient(models.TextChoices):
    REVIEWERS = "reviewers", "The review's reviewers"
    ASSIGNEE = "assignee", "The invited reviewer (assignment deadlines)"
    AGENCY_LEADS = "agency_leads", "The agency's leads"
    LIAISONS = "liaisons", "The company's liaisons"
    PROGRAM_ADMINS = "program_admins", "Program admins"


class Kind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    ESCALATION = "escalation", "Escalation"


class OffsetUnit(models.TextChoices):
    CALENDAR_DAYS = "calendar", "Calendar days"
    BUSINESS_DAYS = "business", "US federal business days"


class Channel(models.TextChoices):
    EMAIL_AND_CENTRE = "email_and_centre", "E-mail and notification centre"
    CENTRE = "centre", "Notification centre only"


class ReminderRule(models.Model):
    """One row of the deadline table: fire ``offset`` days after (negative:
    before) the deadline, to these recipients, once per object and occasion."""

    name = models.CharField(max_length=120, unique=True)
    deadline = models.CharField(max_length=40, choices=Deadline.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REMINDER)
    offset = models.IntegerField(help_text="Days after the deadline; negative for before it.")
    unit = models.CharField(max_length=20, choices=OffsetUnit.choices, default=OffsetUnit.CALENDAR_DAYS)
    recipients = models.JSONField(default=list, help_text="Any of: reviewers, agency_leads, liaisons, program_admins.")
    channel = models.CharField(max_length=30, choices=Channel.choices, default=Channel.EMAIL_AND_CENTRE)
    subject = models.CharField(
        max_length=200,
        help_text="The notification's title and the e-mail's subject. Placeholders: " + PLACEHOLDER_HELP,
    )
    body = models.TextField(
        blank=True, help_text="Optional: what the recipient should do, under the subject. Same placeholders."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["deadline", "offset", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        if self.deadline not in Deadline.values:
            errors["deadline"] = f"Unknown deadline {self.deadline!r}."
        if not isinstance(self.recipients, list) or not self.recipients:
            errors["recipients"] = "Choose at least one kind of recipient."
        elif any(r not in Recipient.values for r in self.recipients):
            bad = ", ".join(str(r) for r in self.recipients if r not in Recipient.values)
            errors["recipients"] = f"Unknown recipients: {bad}. Use {', '.join(Recipient.values)}."
        if self.kind == Kind.ESCALATION and self.offset < 0:
            errors["offset"] = "An escalation comes after the deadline: its delay cannot be negative."
        for field in ("subject", "body"):
            problems = template_problems(getattr(self, field) or "", deadline=self.deadline)
            if problems:
                errors[field] = problems
        if errors:
            raise ValidationError(errors)


class Reminder(models.Model):
    """One reminder or escalation to one person about one object on one occasion.

    Written before anything is sent, under the unique constraint, so that
    sweeps racing or repeating after a crash create it once; the database,
    not the broker, is the record of what is owed and what was sent.
    ``occasion`` is the deadline it was computed against: when an extension
    moves the deadline, the new deadline is a new occasion.
    """

    rule = models.ForeignKey(ReminderRule, on_delete=models.PROTECT, related_name="reminders")
    review = models.ForeignKey("reviews.Review", on_delete=models.CASCADE, related_name="reminders")
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    occasion = models.DateTimeField()
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(
        help_text="Its occasion has passed: a reminder before the deadline, at the deadline; otherwise "
        "PORTAL_REMINDER_CATCH_UP_DAYS after it fell due. Still undelivered then, it is missed."
    )
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Delivered: in the notification centre and, if owed, by e-mail.")
    moot_at = models.DateTimeField(null=True, blank=True, help_text="Not sent: the deadline no longer applied.")
    email = models.ForeignKey(
        "notifications.Email", null=True, blank=True, on_delete=models.SET_NULL, related_name="reminders",
        help_text="The e-mail carrying it (several reminders to one person share one); its outcome is copied here.",
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Conversations with the mail server so far.")
    last_error = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="The mail server refused the address or message for good.")
    missed_at = models.DateTimeField(null=True, blank=True, help_text="Not delivered before its occasion passed.")
    alerted_at = models.DateTimeField(null=True, blank=True, help_text="When the program office was told it was missed.")

    class Meta:
        # No default ordering: it would enter every DISTINCT (recipients_with_unsent).
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "target_type", "target_id", "recipient", "occasion"], name="reminder_once_per_occasion"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(
                    sent_at__isnull=True, moot_at__isnull=True, failed_at__isnull=True, missed_at__isnull=True, email__isnull=True
                ),
                name="reminder_undelivered_idx",
            ),
            models.Index(fields=["target_type", "target_id"], name="reminder_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} → {self.recipient} ({self.occasion:%Y-%m-%d})"

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        if self.moot_at:
            return "moot"
        if self.failed_at:
            return "failed"
        if self.missed_at:
            return "missed"
        return "pending"
