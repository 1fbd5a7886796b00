from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Reports and exports"

    def ready(self) -> None:
        from reviews import hooks

        from .services import review_export_recorded

        # The API (a sibling layer, which may not import this app) serves the JSON export through it.
        hooks.provide("review_export_json", review_export_recorded)
