from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from .defaults import ensure_default_markings

        post_migrate.connect(ensure_default_markings, sender=self, dispatch_uid="documents.default_markings")
