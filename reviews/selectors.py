"""Reads of reviews, always through ``visible_to``."""

from __future__ import annotations

from django.db.models import F, Prefetch, Q
from django.shortcuts import get_object_or_404

from .models import (
    ACTIVE_ASSIGNMENT,
    AccessChange,
    Assignment,
    AssignmentStatus,
    ExtensionRequest,
    Review,
    ReviewGroupObjectPermission,
    ReviewStatus,
    ReviewUserObjectPermission,
    TermsAcceptance,
)
from .querysets import get_in_visible_review_or_404, mark_visible

SORTS = {
    "deadline": ("window_end", "id"),
    "-deadline": ("-window_end", "-id"),
    "model": ("model__name", "id"),
    "-model": ("-model__name", "-id"),
    "status": ("status", "window_end", "id"),
    "-status": ("-status", "window_end", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


# The deadline orders of SORTS on ReviewReach's columns (window_end, then the id).
REACH_SORTS = {
    "deadline": (F("window_end").asc(nulls_last=True), "review_id"),
    "-deadline": (F("window_end").desc(nulls_last=True), "-review_id"),
}


def review_list(*, user, sort: str = "deadline", status: str | None = None, q: str | None = None):
    """Visible reviews, filtered and sorted; ``known_count`` is set when the
    count is already known from the grants (no filter applied)."""
    visible = Review.objects.visible_to(user)
    qs = visible.select_related("model", "company")
    filtered = False
    if status in ReviewStatus.values:
        qs, filtered = qs.filter(status=status), True
    if q:
        qs, filtered = qs.filter(Q(model__name__icontains=q) | Q(company__name__icontains=q)), True
    qs = _with_agency_acronyms(qs.order_by(*_ordering(SORTS, sort)))
    if not filtered and getattr(visible, "known_count", None) is not None:
        qs.known_count = visible.known_count
        reach = getattr(visible, "reach", None)
        if reach is not None and sort in REACH_SORTS:
            # Page ids straight off the reach index, in exactly the list's order
            # (portal.pagination.page_rows): any page of 20,000 costs an index walk.
            qs.page_ids = reach.order_by(*REACH_SORTS[sort]).values_list("review_id", flat=True)
    return qs


def _with_agency_acronyms(qs):
    """The participating agencies' acronyms for a list's rows. On PostgreSQL an
    array subquery in the rows' own statement (no prefetch query, no Agency
    instances: a third of a 25-row list's time went there); elsewhere a prefetch.
    Templates read them through ``Review.agency_labels``."""
    from django.db import connection
    from django.db.models import OuterRef

    if connection.vendor != "postgresql":
        return qs.prefetch_related("agencies")
    from django.contrib.postgres.expressions import ArraySubquery

    from .models import ReviewAgency

    acronyms = ReviewAgency.objects.filter(review=OuterRef("pk")).order_by("agency__acronym").values("agency__acronym")
    return qs.annotate(agency_acronyms=ArraySubquery(acronyms))


def _copy_list_hints(source, target):
    for name in ("known_count", "page_ids"):
        if getattr(source, name, None) is not None:
            setattr(target, name, getattr(source, name))
    return target


def review_get(*, user, pk: int) -> Review:
    """The review, or 404 when it does not exist or is out of the user's scope.

    The review comes back marked as checked for ``user`` (``in_visible_reviews``
    then reads its documents, RFIs… without asking the grants again)."""
    review = get_object_or_404(
        Review.objects.visible_to(user, among=[pk]).select_related("model", "company", "created_by"), pk=pk
    )
    mark_visible(review, user)
    return review


def review_detail_get(*, user, pk: int) -> Review:
    """``review_get`` plus, in the same statement, what the review's page
    says about it: open RFIs, documents, a running clock stop, the readiness
    tally, and the user's own standing (terms accepted, accepted assignment,
    agency participating). One query instead of eight keeps the page's query
    count flat (issue 9's budget is 12)."""
    from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from documents.models import Document
    from readiness.models import ChecklistItem
    from rfis.models import InformationRequest

    from .models import ClockStop, ReviewAgency

    def counted(qs):
        return Coalesce(
            Subquery(qs.order_by().values("review_id").annotate(n=Count("*")).values("n"), output_field=IntegerField()),
            Value(0),
        )

    checklist = ChecklistItem.objects.filter(review=OuterRef("pk"))
    qs = Review.objects.visible_to(user, among=[pk]).select_related(
        "model", "company", "created_by__membership__agency", "created_by__membership__company"
    ).annotate(
        open_rfi_count=counted(InformationRequest.objects.filter(review=OuterRef("pk"), status="open")),
        document_count=counted(Document.objects.filter(review=OuterRef("pk"))),
        clock_stopped_at=Subquery(
            ClockStop.objects.filter(review=OuterRef("pk"), resumed_at__isnull=True).order_by("-stopped_at").values("stopped_at")[:1]
        ),
        checklist_total=counted(checklist),
        checklist_answered=counted(checklist.exclude(answer="")),
        checklist_mandatory_open=counted(checklist.filter(answer="", criterion__mandatory=True)),
        my_terms_accepted=Exists(
            TermsAcceptance.objects.filter(review=OuterRef("pk"), user_id=user.pk, version=OuterRef("access_terms_version"))
        ),
        my_assignment_accepted=Exists(
            Assignment.objects.filter(review=OuterRef("pk"), reviewer_id=user.pk, status=AssignmentStatus.ACCEPTED)
        ),
        my_agency_participates=Exists(ReviewAgency.objects.filter(review=OuterRef("pk"), agency_id=user.agency_id))
        if getattr(user, "agency_id", None)
        else Value(False),
    )
    review = get_object_or_404(qs, pk=pk)
    mark_visible(review, user)
    return review


def review_assignments(*, user, review: Review):
    """Assignments on the review the user may see (companies: none)."""
    return (
        Assignment.objects.visible_to(user, review=review)
        .select_related("reviewer", "agency", "invited_by")
        .order_by("agency__acronym", "status", "reviewer__email")
    )


def terms_needed(*, user, review: Review) -> bool:
    """Agency users accept the review's current access terms before its material opens."""
    if not (user.is_agency_lead or user.is_agency_reviewer):
        return False
    if hasattr(review, "my_terms_accepted"):  # read with the review (review_detail_get)
        return not review.my_terms_accepted
    return not TermsAcceptance.objects.filter(review=review, user=user, version=review.access_terms_version).exists()


def review_access_list(*, review: Review, user):
    """Every user and group holding a permission on the review, with the grant's metadata.

    Program admins see all; a lead sees their own agency's people and the
    organisations (groups), but not other agencies' reviewers by name.
    """
    users = ReviewUserObjectPermission.objects.filter(content_object=review)
    if not user.is_program_admin:
        users = users.filter(user__membership__agency_id=user.agency_id)
    users = (
        users
        .select_related("user__membership__agency", "user__membership__company", "permission", "granted_by")
        .order_by("user__email", "permission__codename")
    )
    groups = (
        ReviewGroupObjectPermission.objects.filter(content_object=review)
        .select_related("group__agency_leads_of", "group__company_liaisons_of", "permission", "granted_by")
        .prefetch_related("group__user_set")
        .order_by("group__name", "permission__codename")
    )
    return list(users), list(groups)


def review_access_history(*, review: Review):
    return AccessChange.objects.filter(review=review).select_related(
        "user", "group__agency_leads_of", "group__company_liaisons_of", "actor"
    )


def assignment_get(*, user, pk: int) -> Assignment:
    return get_in_visible_review_or_404(
        Assignment.objects.select_related("review__model", "review__company", "agency", "invited_by", "reviewer"), user=user, pk=pk
    )


ASSIGNMENT_SORTS = {
    "deadline": ("review__window_end", "id"),
    "-deadline": ("-review__window_end", "-id"),
    "model": ("review__model__name", "id"),
    "-model": ("-review__model__name", "-id"),
    "status": ("status", "review__window_end", "id"),
    "-status": ("-status", "review__window_end", "id"),
}


def _ordering(sorts: dict, sort: str):
    from django.db.models import F

    first, *rest = sorts.get(sort) or next(iter(sorts.values()))
    expr = F(first[1:]).desc(nulls_last=True) if first.startswith("-") else F(first).asc(nulls_last=True)
    return [expr, *rest]


def reviewer_dashboard(*, user, sort: str = "deadline"):
    """A reviewer's assignments, pending invitations first, then by the chosen column.

    By deadline on PostgreSQL the order is ``status`` descending (invited
    before accepted) and the assignment's copy of the review's deadline: the
    order of ``assignment_dashboard_idx``, so any page is an index walk for a
    reviewer with 5,000 assignments as for one with 5."""
    from django.db import connection
    from django.db.models import Case, IntegerField, Value, When

    qs = (
        Assignment.objects.visible_to(user)
        .filter(status__in=ACTIVE_ASSIGNMENT)
        .select_related("review__model", "review__company", "agency")
    )
    if sort == "deadline" and connection.vendor == "postgresql":
        return qs.order_by("-status", F("review_window_end").asc(nulls_last=True), "id")
    return qs.annotate(
        pending_first=Case(When(status=AssignmentStatus.INVITED, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("pending_first", *_ordering(ASSIGNMENT_SORTS, sort))


def lead_dashboard(*, user, sort: str = "deadline"):
    """The lead's agency reviews with who covers them (active assignments of the agency)."""
    coverage = Assignment.objects.filter(agency_id=user.agency_id, status__in=ACTIVE_ASSIGNMENT).select_related("reviewer")
    reviews = review_list(user=user, sort=sort)
    qs = reviews.prefetch_related(Prefetch("assignments", queryset=coverage, to_attr="coverage"))
    return _copy_list_hints(reviews, qs)


def review_extensions(*, user, review: Review):
    """The review's extension requests, newest first (whoever sees the review sees them)."""
    return (
        ExtensionRequest.objects.visible_to(user, review=review)
        .select_related("requested_by__membership__agency", "requested_by__membership__company", "decided_by", "agency")
        .order_by("-created_at", "-id")
    )


def extension_get(*, user, pk: int) -> ExtensionRequest:
    return get_in_visible_review_or_404(
        ExtensionRequest.objects.select_related("review"), user=user, pk=pk
    )
