from django.apps import AppConfig


def _end_lapsed(*, review, actor, **_) -> None:
    from .services import credentials_end_lapsed

    credentials_end_lapsed(review=review, actor=actor)


def _credential_count(user):
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from .models import AccessEndpoint

    endpoints = AccessEndpoint.objects.filter(review=OuterRef("pk")).order_by()
    return Coalesce(
        Subquery(endpoints.values("review_id").annotate(n=Count("*")).values("n"), output_field=IntegerField()), Value(0)
    )


class ModelAccessConfig(AppConfig):
    name = "modelaccess"
    verbose_name = "Model access"

    def ready(self) -> None:
        from reviews import hooks

        # Whatever ends reviewers' grants ends their credentials in the same
        # transaction, and the company is told which to rotate.
        for name in ("close", "withdraw", "assignment_remove", "certify"):
            hooks.on_transition(name, _end_lapsed)
        hooks.summary("access_endpoint_count", _credential_count)
