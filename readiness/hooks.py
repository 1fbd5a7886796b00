"""How readiness joins the review lifecycle and the review's page (``reviews.hooks``)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def _counted(qs):
    return Coalesce(
        Subquery(qs.order_by().values("review_id").annotate(n=Count("*")).values("n"), output_field=IntegerField()),
        Value(0),
    )


def _items():
    from .models import ChecklistItem

    return ChecklistItem.objects.filter(review=OuterRef("pk"))


def close_refusal(review) -> str | None:
    """Why the review may not close yet: a mandatory criterion is unanswered on the
    checklist of an agency that did not sign off as "could not complete"."""
    from reviews.models import SignOff, SignOffConclusion

    from .models import ChecklistItem

    gave_up = SignOff.objects.filter(review=review, conclusion=SignOffConclusion.COULD_NOT_COMPLETE).values("agency_id")
    open_mandatory = (
        ChecklistItem.objects.filter(review=review, answer="", criterion__mandatory=True).exclude(agency_id__in=gave_up).count()
    )
    if open_mandatory:
        return (
            f"The review cannot close while {open_mandatory} mandatory readiness "
            f"criteri{'on is' if open_mandatory == 1 else 'a are'} unanswered."
        )
    return None


def sign_off_refusal(review, agency_id: int, conclusion: str) -> str | None:
    """An agency signs off once its own mandatory criteria are answered, unless it could not complete."""
    from reviews.models import SignOffConclusion

    from .selectors import progress

    if conclusion == SignOffConclusion.COULD_NOT_COMPLETE:
        return None
    open_mandatory = progress(review=review, agency_id=agency_id).mandatory_open
    if open_mandatory:
        return (
            f"Answer your agency's readiness checklist first: {open_mandatory} mandatory "
            f"criteri{'on is' if open_mandatory == 1 else 'a are'} unanswered (or sign off as could not complete)."
        )
    return None


def give_checklist(*, review, actor) -> None:
    from .services import checklist_ensure

    checklist_ensure(review=review)


def register() -> None:
    from reviews import hooks

    hooks.on_transition("open", give_checklist)
    hooks.guard("close", close_refusal)
    hooks.signoff_guard(sign_off_refusal)
    hooks.summary("checklist_total", lambda user: _counted(_items()))
    hooks.summary("checklist_answered", lambda user: _counted(_items().exclude(answer="")))
    hooks.summary("checklist_mandatory_open", lambda user: _counted(_items().filter(answer="", criterion__mandatory=True)))
