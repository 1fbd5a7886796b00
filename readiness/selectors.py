from dataclasses import dataclass

from reviews.querysets import get_in_visible_review_or_404

from .models import Answer, ChecklistItem


@dataclass(frozen=True)
class Progress:
    """One checklist's tally: ``met`` counts only what is met ("not met" is answered, never met)."""

    total: int
    answered: int
    mandatory_open: int
    met: int = 0
    not_met: int = 0
    mandatory_not_met: int = 0
    label: str = ""  # the agency's acronym, or "" for the combined view

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def _tally(rows, label: str = "") -> Progress:
    return Progress(
        total=len(rows),
        answered=sum(1 for a, _ in rows if a),
        mandatory_open=sum(1 for a, m in rows if m and not a),
        met=sum(1 for a, _ in rows if a == Answer.MET),
        not_met=sum(1 for a, _ in rows if a == Answer.NOT_MET),
        mandatory_not_met=sum(1 for a, m in rows if m and a == Answer.NOT_MET),
        label=label,
    )


def checklist(*, user, review):
    return ChecklistItem.objects.visible_to(user, review=review).select_related(
        "criterion", "agency", "answered_by__membership__agency", "answered_by__membership__company"
    )


def progress(*, review, agency_id: int | None = None) -> Progress:
    """The tally of one agency's checklist, or (``agency_id`` None) of all agencies' together."""
    items = ChecklistItem.objects.filter(review=review)
    if agency_id is not None:
        items = items.filter(agency_id=agency_id)
    return _tally(list(items.values_list("answer", "criterion__mandatory")))


def progress_by_agency(*, review) -> list[Progress]:
    """Each participating agency's tally (counts only: anyone who sees the review may see them), by acronym."""
    rows = {}
    for acronym, answer, mandatory in ChecklistItem.objects.filter(review=review).values_list(
        "agency__acronym", "answer", "criterion__mandatory"
    ):
        rows.setdefault(acronym, []).append((answer, mandatory))
    return [_tally(r, label) for label, r in sorted(rows.items())]


def item_get(*, user, pk: int) -> ChecklistItem:
    """The item, or 404 out of scope — another agency's checklist item included."""
    qs = ChecklistItem.objects.select_related("review", "criterion", "agency")
    if getattr(user, "is_agency_lead", False) or getattr(user, "is_agency_reviewer", False):
        qs = qs.filter(agency_id=user.agency_id)
    return get_in_visible_review_or_404(qs, user=user, pk=pk)
