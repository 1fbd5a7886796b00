from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _seed_categories(**kwargs) -> None:
    # Only into an empty catalogue: admins may rename or retire the defaults.
    from .models import FindingCategory
    from .services import ensure_default_categories

    if not FindingCategory.objects.exists():
        ensure_default_categories()


def _closing_warnings(review) -> list[str]:
    """Findings never shared beyond their agency when the review closes, per agency
    (``reviews.hooks.warning``; shown to the program office only)."""
    from collections import Counter

    from portal.statements import cached_values

    from .models import Finding, Sharing

    # One acronym per unshared finding, counted here: a kept statement (compiled
    # once, portal.statements) returns columns as they come, and a COUNT's
    # integer conversion would have it built on every visit.
    acronyms = cached_values(
        ("findings.closing_warnings",),
        lambda *, review_id: Finding.objects.filter(review_id=review_id, sharing=Sharing.INTERNAL).values_list("agency__acronym", flat=True),
        review_id=review.pk,
    )
    return [
        f"{acronym}: {n} finding{'s' if n != 1 else ''} not shared beyond the agency."
        for acronym, n in sorted(Counter(acronyms).items())
    ]


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
        from reviews import hooks

        post_migrate.connect(_seed_categories, sender=self, dispatch_uid="findings.default_categories")
        hooks.warning(_closing_warnings)
        post_migrate.connect(_load_taxonomy, sender=self, dispatch_uid="findings.taxonomy")
