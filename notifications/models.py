from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
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
