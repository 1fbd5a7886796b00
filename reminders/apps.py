from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders and escalations"

    def ready(self) -> None:
        from notifications.mail import on_outcome

        from .defaults import ensure_default_rules
        from .services import reminder_email_outcome

        post_migrate.connect(ensure_default_rules, sender=self, dispatch_uid="reminders.default_rules")
        # Each outcome of a reminder e-mail (retry, sent, refused, missed) is copied onto its rows.
        on_outcome("reminder", reminder_email_outcome)
