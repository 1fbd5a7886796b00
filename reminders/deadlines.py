"""The deadlines the portal chases: where each one's date comes from, when it
no longer applies, and who may hear about it.

Each kind answers three questions for the sweep: which objects have this
deadline fall (within a window) — an indexed query on the deadline column;
whether one object's deadline still applies (``live``); and who is told
(``recipients``), always people who may see the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet

from accounts.models import Role, User

from .models import Deadline, OffsetUnit, Recipient


def portal_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@lru_cache(maxsize=16)
def _federal_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("US", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def shift(moment: datetime, days: int, unit: str) -> datetime:
    """``moment`` moved by ``days`` in the portal's time zone, keeping the local
    hour across daylight-saving changes; business days skip weekends and US
    federal holidays."""
    local = moment.astimezone(portal_tz())
    if unit == OffsetUnit.CALENDAR_DAYS or days == 0:
        return (local + timedelta(days=days)).astimezone(moment.tzinfo)
    step = 1 if days > 0 else -1
    remaining = abs(days)
    cursor = local
    while remaining:
        cursor = cursor + timedelta(days=step)
        if is_business_day(cursor.date()):
            remaining -= 1
    return cursor.astimezone(moment.tzinfo)


def calendar_span(days: int, unit: str) -> int:
    """A calendar-day bound at least as wide as ``days`` of ``unit`` (for SQL prefilters)."""
    if unit == OffsetUnit.CALENDAR_DAYS:
        return abs(days)
    return abs(days) * 2 + 6


@dataclass(frozen=True)
class Occurrence:
    """One object whose deadline falls, and the review it belongs to."""

    target_type: str
    target_id: int
    review_id: int
    occasion: datetime
    agency_id: int | None = None


@dataclass(frozen=True)
class DeadlineKind:
    key: str
    queryset: Callable[[], QuerySet]
    column: str  # the stored timestamp the deadline is computed from
    grace: Callable[[], timedelta]  # deadline = column + grace
    target_type: str
    review_of: Callable[[object], int]
    agency_of: Callable[[object], int | None]
    live: Callable[[int], bool]  # does the deadline still apply to this target id?
    assignee_of: Callable[[int], int | None] = lambda target_id: None

    def occurrences(self, *, earliest: datetime, latest: datetime) -> Iterable[Occurrence]:
        """Objects whose deadline lies in [earliest, latest] (an index range scan)."""
        grace = self.grace()
        qs = self.queryset().filter(**{f"{self.column}__gte": earliest - grace, f"{self.column}__lte": latest - grace})
        for obj in qs.iterator(chunk_size=2000):
            yield Occurrence(
                target_type=self.target_type,
                target_id=obj.pk,
                review_id=self.review_of(obj),
                occasion=getattr(obj, self.column) + grace,
                agency_id=self.agency_of(obj),
            )


def _reviews_in_review():
    from reviews.models import Review, ReviewStatus

    return Review.objects.filter(status=ReviewStatus.IN_REVIEW, window_end__isnull=False).only("id", "window_end")


def _review_live(status):
    def live(review_id: int) -> bool:
        from reviews.models import Review

        return Review.objects.filter(pk=review_id, status=status).exists()

    return live


def _open_assignments():
    from reviews.models import Assignment, AssignmentStatus, ReviewStatus

    return Assignment.objects.filter(
        status=AssignmentStatus.INVITED, review__status__in=[ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW]
    ).only("id", "invited_at", "review_id", "agency_id")


def _assignment_live(assignment_id: int) -> bool:
    from reviews.models import Assignment, AssignmentStatus, ReviewStatus

    return Assignment.objects.filter(
        pk=assignment_id,
        status=AssignmentStatus.INVITED,
        review__status__in=[ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW],
    ).exists()


def _submitted_reviews():
    from reviews.models import Review, ReviewStatus

    return Review.objects.filter(status=ReviewStatus.SUBMITTED, submitted_at__isnull=False).only("id", "submitted_at")


def _uncovered_participations():
    """Participations of reviews in review whose agency has no accepted reviewer."""
    from reviews.models import Assignment, AssignmentStatus, ReviewAgency, ReviewStatus

    accepted = Assignment.objects.filter(
        review_id=OuterRef("review_id"), agency_id=OuterRef("agency_id"), status=AssignmentStatus.ACCEPTED
    )
    return (
        ReviewAgency.objects.filter(review__status=ReviewStatus.IN_REVIEW)
        .annotate(window_start=F("review__window_start"))
        .filter(~Exists(accepted))
    )


def _participation_live(participation_id: int) -> bool:
    return _uncovered_participations().filter(pk=participation_id).exists()


def _open_rfis():
    from django.apps import apps

    if not apps.is_installed("rfis"):
        return None
    from rfis.models import InformationRequest, RfiStatus

    return InformationRequest.objects.filter(status=RfiStatus.OPEN).only("id", "due_at", "review_id", "agency_id")


def _rfi_live(rfi_id: int) -> bool:
    qs = _open_rfis()
    return qs is not None and qs.filter(pk=rfi_id).exists()


KINDS: dict[str, DeadlineKind] = {
    Deadline.REVIEW_WINDOW_END: DeadlineKind(
        key=Deadline.REVIEW_WINDOW_END,
        queryset=_reviews_in_review,
        column="window_end",
        grace=lambda: timedelta(0),
        target_type="review",
        review_of=lambda r: r.pk,
        agency_of=lambda r: None,
        live=_review_live("in_review"),
    ),
    Deadline.ASSIGNMENT_ANSWER: DeadlineKind(
        key=Deadline.ASSIGNMENT_ANSWER,
        queryset=_open_assignments,
        column="invited_at",
        grace=lambda: timedelta(days=settings.PORTAL_ASSIGNMENT_ANSWER_DAYS),
        target_type="assignment",
        review_of=lambda a: a.review_id,
        agency_of=lambda a: a.agency_id,
        live=_assignment_live,
        assignee_of=lambda target_id: _assignee(target_id),
    ),
    Deadline.REVIEW_SUBMITTED: DeadlineKind(
        key=Deadline.REVIEW_SUBMITTED,
        queryset=_submitted_reviews,
        column="submitted_at",
        grace=lambda: timedelta(0),
        target_type="review",
        review_of=lambda r: r.pk,
        agency_of=lambda r: None,
        live=_review_live("submitted"),
    ),
    Deadline.REVIEW_OPENED: DeadlineKind(
        key=Deadline.REVIEW_OPENED,
        queryset=_uncovered_participations,
        column="window_start",
        grace=lambda: timedelta(0),
        target_type="participation",
        review_of=lambda p: p.review_id,
        agency_of=lambda p: p.agency_id,
        live=_participation_live,
    ),
    Deadline.RFI_DUE: DeadlineKind(
        key=Deadline.RFI_DUE,
        queryset=lambda: _open_rfis(),
        column="due_at",
        grace=lambda: timedelta(0),
        target_type="rfi",
        review_of=lambda r: r.review_id,
        agency_of=lambda r: r.agency_id,
        live=_rfi_live,
    ),
}


def _assignee(assignment_id: int) -> int | None:
    from reviews.models import Assignment

    return Assignment.objects.filter(pk=assignment_id).values_list("reviewer_id", flat=True).first()


def may_know(*, user: User, kind: DeadlineKind, target_id: int, review_id: int) -> bool:
    """Whether ``user`` may hear about this target: they see its review, or
    (an invited reviewer, before access) they see the assignment itself."""
    from reviews.models import Assignment, Review

    if kind.target_type == "assignment" and Assignment.objects.visible_to(user).filter(pk=target_id).exists():
        return True
    return Review.objects.visible_to(user, among=[review_id]).exists()


def recipients_for(*, kinds: list[str], kind: DeadlineKind, target_id: int, review_id: int, agency_id: int | None) -> list[User]:
    """The people to tell, limited to those who may know about the target right now."""
    from reviews.models import Review

    review = Review.objects.select_related("company").get(pk=review_id)
    users: dict[int, User] = {}
    base = User.objects.filter(is_active=True).select_related("membership")
    if Recipient.ASSIGNEE in kinds:
        assignee = kind.assignee_of(target_id)
        for u in base.filter(pk=assignee):
            users[u.pk] = u
    if Recipient.PROGRAM_ADMINS in kinds:
        for u in base.filter(membership__role=Role.PROGRAM_ADMIN):
            users[u.pk] = u
    if Recipient.LIAISONS in kinds:
        for u in base.filter(groups=review.company.liaisons_group_id, membership__role=Role.COMPANY_LIAISON):
            users[u.pk] = u
    if Recipient.AGENCY_LEADS in kinds:
        leads = base.filter(membership__role=Role.AGENCY_LEAD, membership__agency__participations__review_id=review_id)
        if agency_id is not None:
            leads = leads.filter(membership__agency_id=agency_id)
        for u in leads.distinct():
            users[u.pk] = u
    if Recipient.REVIEWERS in kinds:
        from reviews.models import Assignment, AssignmentStatus

        reviewers = base.filter(
            pk__in=Assignment.objects.filter(review_id=review_id, status=AssignmentStatus.ACCEPTED).values("reviewer_id")
        )
        if agency_id is not None:
            reviewers = reviewers.filter(membership__agency_id=agency_id)
        for u in reviewers:
            users[u.pk] = u
    # Out of scope means never told.
    return [u for u in users.values() if may_know(user=u, kind=kind, target_id=target_id, review_id=review_id)]


