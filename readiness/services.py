"""Writing readiness checklists."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from portal.errors import NotAllowed
from reviews.standing import standing_of

from .models import DEFAULT_CRITERIA, Answer, ChecklistItem, ReadinessCriterion


def ensure_default_criteria() -> None:
    """The seed catalogue (also a data migration); idempotent."""
    for position, (name, description, mandatory) in enumerate(DEFAULT_CRITERIA):
        ReadinessCriterion.objects.get_or_create(
            name=name, defaults={"description": description, "mandatory": mandatory, "position": position}
        )


@transaction.atomic
def checklist_ensure(*, review) -> int:
    """Gives every participating agency its own checklist: an unanswered item for
    every active criterion the agency lacks on the review; returns how many were added."""
    from reviews.models import ReviewAgency

    have = set(ChecklistItem.objects.filter(review=review).values_list("agency_id", "criterion_id"))
    criteria = list(ReadinessCriterion.objects.filter(active=True))
    agency_ids = ReviewAgency.objects.filter(review=review).values_list("agency_id", flat=True)
    missing = [
        ChecklistItem(review=review, agency_id=agency_id, criterion=c)
        for agency_id in agency_ids
        for c in criteria
        if (agency_id, c.pk) not in have
    ]
    ChecklistItem.objects.bulk_create(missing)
    return len(missing)


@transaction.atomic
def checklist_answer(*, item_id: int, actor, answer: str, note: str = "") -> ChecklistItem:
    """A participating reviewer or lead marks a criterion of their own agency's
    checklist met, not met or not applicable.

    Locks the item. Side effect: audit ``checklist.answer``.
    """
    item = ChecklistItem.objects.select_for_update().select_related("review", "criterion", "agency").get(pk=item_id)
    standing = standing_of(user=actor, review=item.review_id)
    if not standing.may_answer_checklist:
        raise NotAllowed("Only the review's participating leads and accepted reviewers fill the checklist, while it is under review.")
    if item.agency_id != standing.agency_id:
        raise NotAllowed(f"This criterion is on {item.agency.acronym}'s checklist; each agency answers its own.")
    standing.require_material()
    if answer not in Answer.values:
        raise ValidationError({"answer": "Choose met, not met or not applicable."})
    previous = item.answer
    item.answer = answer
    item.note = note.strip()
    item.answered_by = actor
    item.answered_at = timezone.now()
    item.full_clean()
    item.save()
    audit_record(
        action="checklist.answer", actor=actor, target=item, review=item.review,
        payload={"criterion": item.criterion.name, "agency": item.agency.acronym, "from": previous, "to": answer},
    )
    return item
