from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.loading import RowLoaded


class Notification(RowLoaded):
    """An entry in a user's notification centre.

    ``url`` points at the object concerned; the page behind it applies the
    reader's scope again, so a stale link cannot leak anything.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    escalation = models.BooleanField(default=False, help_text="Escalations are e-mailed whatever the preference.")
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When this was e-mailed, on its own or in a daily digest."
    )
    email = models.ForeignKey(
        "Email", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications",
        help_text="The e-mail that carries it (its own, or a digest); emailed_at is stamped when that is sent.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} → {self.recipient}"


class EmailPreference(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately, one e-mail per event"
    DIGEST = "digest", "Once a day, in a digest"
    OFF = "off", "Never (escalations are still e-mailed)"


class NotificationPreference(models.Model):
    """How a user wants notifications by e-mail; no row means immediately."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference")
    email = models.CharField(max_length=20, choices=EmailPreference.choices, default=EmailPreference.IMMEDIATE)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_email_display()}"


class EmailState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Refused by the mail server"
    MISSED = "missed", "Not sent in time"


class Email(models.Model):
    """One e-mail owed to one address: the outbox every e-mail of the portal goes through.

    Written in the transaction of the action that causes it, so a rolled-back
    action owes nothing and a committed one cannot lose its e-mail; sent after
    commit by ``notifications.tasks.deliver_email``, outside any transaction.
    A transient failure (4xx, refused connection, timeout) leaves it pending
    for a later attempt; a permanent one (5xx for this address) marks it
    failed; one still pending at ``expires_at`` is missed. ``claimed_until``
    keeps a second worker away while one is talking to the mail server.
    """

    kind = models.CharField(max_length=40, help_text="notification, digest, reminder, invitation, account …")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    sensitive = models.BooleanField(
        default=False, help_text="The body holds a secret link: stored encrypted, erased once sent, failed or missed."
    )
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Conversations with the mail server so far.")
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sent_at__isnull=True, failed_at__isnull=True, missed_at__isnull=True),
                name="email_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

    @property
    def state(self) -> str:
        if self.sent_at:
            return EmailState.SENT
        if self.failed_at:
            return EmailState.FAILED
        if self.missed_at:
            return EmailState.MISSED
        return EmailState.PENDING
