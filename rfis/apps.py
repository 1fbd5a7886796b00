from django.apps import AppConfig


def _open_rfi_count(user):
    from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce

    from .models import InformationRequest, RfiStatus

    open_rfis = InformationRequest.objects.filter(review=OuterRef("pk"), status=RfiStatus.OPEN).order_by()
    agency_id = getattr(user, "agency_id", None)
    if agency_id and not getattr(user, "is_program_admin", False):
        # Another agency's private questions are not counted either.
        open_rfis = open_rfis.filter(Q(private=False) | Q(agency_id=agency_id))
    return Coalesce(
        Subquery(open_rfis.values("review_id").annotate(n=Count("*")).values("n"), output_field=IntegerField()), Value(0)
    )


def _closing_warnings(review) -> list[str]:
    """Questions still waiting on the company when the review closes (``reviews.hooks.warning``)."""
    from portal.statements import cached_count

    from .models import InformationRequest, RfiStatus

    n = cached_count(
        ("rfis.closing_warnings",),
        lambda *, review_id: InformationRequest.objects.filter(review_id=review_id, status=RfiStatus.OPEN),
        review_id=review.pk,
    )
    return [f"{n} question{'s' if n != 1 else ''} to the company {'are' if n != 1 else 'is'} still open."] if n else []


class RfisConfig(AppConfig):
    name = "rfis"
    verbose_name = "Information requests"

    def ready(self) -> None:
        from reviews import hooks

        # The review's page counts open questions in its own statement.
        hooks.summary("open_rfi_count", _open_rfi_count)
        hooks.warning(_closing_warnings)
