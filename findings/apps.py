from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _seed_categories(**kwargs) -> None:
    # Only into an empty catalogue: admins may rename or retire the defaults.
    from .models import FindingCategory
    from .services import ensure_default_categories

    if not FindingCategory.objects.exists():
        ensure_default_categories()


def _load_taxonomy(**kwargs) -> None:
    # Only into an empty catalogue table: newer releases come through load_taxonomy.
    from .models import TaxonomyEntry
    from .taxonomy import load_shipped

    if not TaxonomyEntry.objects.exists():
        load_shipped()


class FindingsConfig(AppConfig):
    name = "findings"
    verbose_name = "Findings"

    def ready(self) -> None:
        post_migrate.connect(_seed_categories, sender=self, dispatch_uid="findings.default_categories")
        post_migrate.connect(_load_taxonomy, sender=self, dispatch_uid="findings.taxonomy")
