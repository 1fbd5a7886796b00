from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _document_count(user):
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from .models import Document

    documents = Document.objects.filter(review=OuterRef("pk"), purpose="review").order_by()
    return Coalesce(
        Subquery(documents.values("review_id").annotate(n=Count("*")).values("n"), output_field=IntegerField()), Value(0)
    )


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from .defaults import ensure_default_markings

        from reviews import hooks

        post_migrate.connect(ensure_default_markings, sender=self, dispatch_uid="documents.default_markings")
        # The review's page counts documents in its own statement.
        hooks.summary("document_count", _document_count)
