from dataclasses import dataclass


from reviews.querysets import get_in_visible_review_or_404

from .models import ChecklistItem


@dataclass(frozen=True)
class Progress:
    total: int
    answered: int
    mandatory_open: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def checklist(*, user, review):
    return ChecklistItem.objects.visible_to(user, review=review).select_related("criterion", "answered_by__membership__agency", "answered_by__membership__company")


def progress(*, review) -> Progress:
    items = list(ChecklistItem.objects.filter(review=review).values_list("answer", "criterion__mandatory"))
    return Progress(
        total=len(items),
        answered=sum(1 for a, _ in items if a),
        mandatory_open=sum(1 for a, m in items if m and not a),
    )


def item_get(*, user, pk: int) -> ChecklistItem:
    return get_in_visible_review_or_404(
        ChecklistItem.objects.select_related("review", "criterion"), user=user, pk=pk
    )
