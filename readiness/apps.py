from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _seed_criteria(**kwargs) -> None:
    # Only into an empty catalogue: admins may edit or retire the defaults.
    from .models import ReadinessCriterion
    from .services import ensure_default_criteria

    if not ReadinessCriterion.objects.exists():
        ensure_default_criteria()


class ReadinessConfig(AppConfig):
    name = "readiness"
    verbose_name = "Readiness benchmarks"

    def ready(self) -> None:
        from . import hooks

        post_migrate.connect(_seed_criteria, sender=self, dispatch_uid="readiness.default_criteria")
        hooks.register()
