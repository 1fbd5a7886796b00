from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders and escalations"

    def ready(self) -> None:
        from .defaults import ensure_default_rules

        post_migrate.connect(ensure_default_rules, sender=self, dispatch_uid="reminders.default_rules")
