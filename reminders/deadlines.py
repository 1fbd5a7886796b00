"""The deadlines the portal chases: where each one's date comes from, when it
no longer applies, and who may hear about it.

Each kind answers three questions for the sweep: which objects have this
deadline fall (within a window) — an indexed query on the deadline column;
whether one object's deadline still applies (``live``); and who is told
(``recipients``), always people who may see the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accounts.models import Role, User
from portal.calendar import add_business_days, add_calendar_days

from .models import Deadline, OffsetUnit, Recipient


def shift(moment: datetime, days: int, unit: str) -> datetime:
    """``moment`` moved by ``days`` in the portal's time zone, keeping the local
    hour across daylight-saving changes; business days skip weekends and US
    federal holidays (``portal.calendar``, which the review window and the
    questions' due dates are counted with too: one calendar, one holiday list)."""
    if unit == OffsetUnit.CALENDAR_DAYS or days == 0:
        return add_calendar_days(moment, days).astimezone(moment.tzinfo)
    return add_business_days(moment, days)


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
    # Placeholder values only this kind knows (``agency``, ``rfi``), per target id.
    details: Callable[[list[int]], dict[int, dict[str, str]]] = lambda target_ids: {}
    page: str = "review_detail"  # the URL name of the target's page; review_detail takes the review's id

    def link(self, *, target_id: int, review_id: int) -> str:
        from django.urls import reverse

        return reverse(self.page, kwargs={"pk": review_id if self.page == "review_detail" else target_id})

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


def _agency_details(model_path: str):
    def details(target_ids: list[int]) -> dict[int, dict[str, str]]:
        from django.apps import apps

        model = apps.get_model(model_path)
        return {pk: {"agency": acronym} for pk, acronym in model.objects.filter(pk__in=target_ids).values_list("pk", "agency__acronym")}

    return details


def _rfi_details(target_ids: list[int]) -> dict[int, dict[str, str]]:
    from rfis.models import InformationRequest

    return {
        pk: {"rfi": subject, "agency": acronym}
        for pk, subject, acronym in InformationRequest.objects.filter(pk__in=target_ids).values_list("pk", "subject", "agency__acronym")
    }


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
        details=_agency_details("reviews.Assignment"),
        page="assignment_detail",
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
        details=_agency_details("reviews.ReviewAgency"),
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
        details=_rfi_details,
        page="rfi_detail",
    ),
}


def _assignee(assignment_id: int) -> int | None:
    from reviews.models import Assignment

    return Assignment.objects.filter(pk=assignment_id).values_list("reviewer_id", flat=True).first()


def may_know(*, user: User, kind: DeadlineKind, target_id: int, review_id: int) -> bool:
    """Whether ``user`` may hear about this target: they see its review, or
    (an invited reviewer, before access) they see the assignment itself."""
    from reviews.models import Assignment, Review

    if kind.target_type == "assignment" and Assignment.objects.visible_to(user, review=review_id).filter(pk=target_id).exists():
        return True
    return Review.objects.visible_to(user, among=[review_id]).exists()


def recipients_batch(*, kinds: list[str], kind: DeadlineKind, occurrences: list[Occurrence]) -> dict[int, set[int]]:
    """Recipients (user ids) for many occurrences at once: target id → users.

    Set-based, so a sweep's cost follows what is due, not the number of
    people or reviews: a handful of queries per batch whatever its size.
    Everyone returned may know about the target — they hold an unexpired
    grant on its review (directly or through a group), are a program admin,
    or are the invited reviewer of an assignment target.
    """
    from django.utils import timezone

    from accounts.models import Membership
    from reviews.models import (
        Assignment,
        AssignmentStatus,
        Review,
        ReviewAgency,
        ReviewGroupObjectPermission,
        ReviewUserObjectPermission,
    )

    if not occurrences:
        return {}
    review_ids = {o.review_id for o in occurrences}
    active_members = Membership.objects.filter(user__is_active=True)
    wanted: dict[int, set[int]] = {o.target_id: set() for o in occurrences}
    exempt: set[tuple[int, int]] = set()  # (user, target) that need no review grant

    if Recipient.REVIEWERS in kinds:
        accepted: dict[int, list[tuple[int, int]]] = {}
        for review_id, user_id, agency_id in Assignment.objects.filter(
            review_id__in=review_ids, status=AssignmentStatus.ACCEPTED, reviewer__is_active=True
        ).values_list("review_id", "reviewer_id", "agency_id"):
            accepted.setdefault(review_id, []).append((user_id, agency_id))
        for o in occurrences:
            wanted[o.target_id].update(u for u, a in accepted.get(o.review_id, []) if o.agency_id in (None, a))
    if Recipient.ASSIGNEE in kinds and kind.target_type == "assignment":
        for target_id, user_id in Assignment.objects.filter(
            pk__in=list(wanted), reviewer__is_active=True
        ).values_list("pk", "reviewer_id"):
            wanted[target_id].add(user_id)
            exempt.add((user_id, target_id))
    if Recipient.PROGRAM_ADMINS in kinds:
        admins = set(active_members.filter(role=Role.PROGRAM_ADMIN).values_list("user_id", flat=True))
        for o in occurrences:
            wanted[o.target_id].update(admins)
            exempt.update((u, o.target_id) for u in admins)
    if Recipient.LIAISONS in kinds:
        company_of = dict(Review.objects.filter(pk__in=review_ids).values_list("pk", "company_id"))
        liaisons: dict[int, set[int]] = {}
        for company_id, user_id in active_members.filter(
            role=Role.COMPANY_LIAISON, company_id__in=set(company_of.values())
        ).values_list("company_id", "user_id"):
            liaisons.setdefault(company_id, set()).add(user_id)
        routed: dict[int, int] = {}
        if kind.target_type == "rfi":
            # A question the company routed to one of its liaisons reminds that liaison only.
            from rfis.models import InformationRequest

            routed = dict(
                InformationRequest.objects.filter(pk__in=list(wanted), assignee__isnull=False).values_list("pk", "assignee_id")
            )
        for o in occurrences:
            company_liaisons = liaisons.get(company_of.get(o.review_id), set())
            if routed.get(o.target_id) in company_liaisons:
                wanted[o.target_id].add(routed[o.target_id])
            else:
                wanted[o.target_id].update(company_liaisons)
    if Recipient.AGENCY_LEADS in kinds:
        participating: dict[int, set[int]] = {}
        for review_id, agency_id in ReviewAgency.objects.filter(review_id__in=review_ids).values_list("review_id", "agency_id"):
            participating.setdefault(review_id, set()).add(agency_id)
        leads: dict[int, set[int]] = {}
        agencies = set().union(*participating.values()) if participating else set()
        for agency_id, user_id in active_members.filter(role=Role.AGENCY_LEAD, agency_id__in=agencies).values_list(
            "agency_id", "user_id"
        ):
            leads.setdefault(agency_id, set()).add(user_id)
        for o in occurrences:
            for agency_id in participating.get(o.review_id, set()):
                if o.agency_id in (None, agency_id):
                    wanted[o.target_id].update(leads.get(agency_id, set()))

    # Scope: keep only (user, review) pairs an unexpired grant allows.
    users = set().union(*wanted.values())
    if not users:
        return wanted
    now = timezone.now()
    unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    allowed: set[tuple[int, int]] = set(
        ReviewUserObjectPermission.objects.filter(
            unexpired, content_object_id__in=review_ids, user_id__in=users, permission__codename="view_review"
        ).values_list("user_id", "content_object_id")
    )
    group_reviews: dict[int, set[int]] = {}
    for group_id, review_id in ReviewGroupObjectPermission.objects.filter(
        unexpired, content_object_id__in=review_ids, permission__codename="view_review"
    ).values_list("group_id", "content_object_id"):
        group_reviews.setdefault(group_id, set()).add(review_id)
    if group_reviews:
        for user_id, group_id in User.groups.through.objects.filter(
            group_id__in=list(group_reviews), user_id__in=users
        ).values_list("user_id", "group_id"):
            allowed.update((user_id, r) for r in group_reviews[group_id])
    review_of = {o.target_id: o.review_id for o in occurrences}
    return {
        target: {u for u in people if (u, target) in exempt or (u, review_of[target]) in allowed}
        for target, people in wanted.items()
    }
