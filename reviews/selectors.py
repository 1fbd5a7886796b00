"""Reads of reviews, always through ``visible_to``."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from django.db.models import F, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from portal.db import prepared_statements

from . import hooks
from .models import (
    ACTIVE_ASSIGNMENT,
    AccessChange,
    Assignment,
    AssignmentStatus,
    ExtensionPosition,
    ExtensionRequest,
    Review,
    ReviewGroupObjectPermission,
    ReviewNameKey,
    ReviewStatus,
    ReviewTransition,
    ReviewUserObjectPermission,
    SignOff,
)
from .querysets import get_in_visible_review_or_404, reach_of
from .standing import Standing, standing_expressions, standing_of, standing_of_loaded

SORTS = {
    "deadline": ("window_end", "id"),
    "-deadline": ("-window_end", "-id"),
    "model": ("model__name", "id"),
    "-model": ("-model__name", "-id"),
    "company": ("company__name", "id"),
    "-company": ("-company__name", "-id"),
    "status": ("status", "window_end", "id"),
    "-status": ("-status", "window_end", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


# Every order of SORTS on ReviewReach's copies of the sort keys (window_end,
# status, created_at, model_name, company_name, then the id), each the order
# of one of its indexes (forwards, or backwards for the last pages):
# test_plan_shape explains every one.
_DEADLINE = F("window_end").asc(nulls_last=True)
REACH_SORTS = {
    "deadline": (_DEADLINE, "review_id"),
    "-deadline": (F("window_end").desc(nulls_last=True), "-review_id"),
    "model": ("model_name", "review_id"),
    "-model": ("-model_name", "-review_id"),
    "company": ("company_name", "review_id"),
    "-company": ("-company_name", "-review_id"),
    "status": ("status", _DEADLINE, "review_id"),
    "-status": ("-status", _DEADLINE, "review_id"),
    "created": ("created_at", "review_id"),
    "-created": ("-created_at", "-review_id"),
}
# The program office's name orders on ReviewNameKey (one row per review).
NAME_KEY_SORTS = {sort: REACH_SORTS[sort] for sort in ("model", "-model", "company", "-company")}


def review_list(*, user, sort: str = "deadline", status: str | None = None, q: str | None = None):
    """Visible reviews, filtered and sorted; ``known_count`` is set when the
    count is already known from the grants (no filter applied) or the reach
    rows (one status). An unknown ``sort`` is the deadline order. ``q``, part
    of a model's or company's name, is looked up at once (``_named``: two
    small statements)."""
    sort = sort if sort in SORTS else "deadline"
    visible = _list_columns().visible_to(user)
    qs = visible
    filtered = False
    if status in ReviewStatus.values:
        qs, filtered = qs.filter(status=status), True
    if q:
        qs, filtered = qs.filter(_named(q)), True
    qs = qs.order_by(*_ordering(SORTS, sort))
    ids = None  # the page ids' source in exactly the list's order, built afresh when called
    if not filtered and getattr(visible, "known_count", None) is not None:
        qs.known_count = visible.known_count
        if getattr(visible, "reach", None) is not None and sort in REACH_SORTS:
            # Page ids straight off a reach index, in exactly the list's order
            # (portal.pagination.page_rows): any page of 20,000 in any order
            # costs an index walk, never a sort of everything visible.
            def ids():
                return reach_of(user).order_by(*REACH_SORTS[sort]).values_list("review_id", flat=True)
    if status in ReviewStatus.values and not q and getattr(visible, "reach", None) is not None and sort in REACH_SORTS:
        # One status in any order: the reach rows walked in the order's index
        # (or, for a status few rows hold, its status index) with its count,
        # without reading reviews (30-113 ms -> 12-17 at bench scale). The
        # status is a constant of these statements: callers that keep them
        # name it in their key (reviews.views.review_list).
        qs.known_count = lambda: reach_of(user).filter(status=status).count()

        def ids():
            return reach_of(user).filter(status=status).order_by(*REACH_SORTS[sort]).values_list("review_id", flat=True)
    if not filtered and getattr(user, "is_program_admin", False):
        from django.db import connection

        if sort in NAME_KEY_SORTS and connection.vendor == "postgresql":
            # Every review, by a name: off ReviewNameKey's index (triggers fill it on PostgreSQL only).
            def ids():
                return ReviewNameKey.objects.order_by(*NAME_KEY_SORTS[sort]).values_list("review_id", flat=True)
        else:
            def ids():
                return Review.objects.visible_to(user).order_by(*_ordering(SORTS, sort)).values_list("pk", flat=True)
    if ids is not None:
        from django.utils.functional import SimpleLazyObject

        # ``page_ids_build``: the first and last page's ids run through a kept
        # statement, built at the scoping clock's moment (page_rows). The
        # queryset itself is built only for the pages between (~0.25 ms).
        qs.page_ids, qs.page_ids_build = SimpleLazyObject(ids), ids
    return qs


# A name filter's models and companies are looked up first, at most this many
# of each; past that it is asked of every visible review's model and company.
NAMED_MAX = 1000


def _named(q: str) -> Q:
    """Reviews whose model's or company's name holds ``q``, case aside.

    The models and companies come first (a pg_trgm index on model names,
    search/migrations/0001; companies are few), then the reviews by their
    ids: asked of every visible review's model and company instead, a name
    nobody has read all 20,000 of a reviewer's reviews and 100,000 of the
    program office's (190-330 ms at bench scale). Two small statements; the
    ids only narrow the visible reviews, never show."""
    from companies.models import AIModel, Company

    models = list(AIModel.objects.filter(name__icontains=q).order_by().values_list("pk", flat=True)[: NAMED_MAX + 1])
    companies = list(Company.objects.filter(name__icontains=q).order_by().values_list("pk", flat=True)[: NAMED_MAX + 1])
    if len(models) > NAMED_MAX or len(companies) > NAMED_MAX:
        return Q(model__name__icontains=q) | Q(company__name__icontains=q)
    return Q(model_id__in=models) | Q(company_id__in=companies)


def _list_columns():
    """What every list of reviews reads of a row — its model and company, the
    agencies' acronyms — as a fresh queryset to scope, filter and order. The
    columns are the same for every reader, so they are built once per process
    (``_list_columns_built``) and cloned for each list: building their joins
    and three array subqueries cost ~0.45 ms of every list page and dashboard
    at bench scale, a clone a few hundredths. The SQL is the same either way
    (filters and annotations without aggregates do not depend on their order)."""
    from django.db import connection

    return _list_columns_built(connection.vendor)._chain()


@lru_cache(maxsize=4)
def _list_columns_built(vendor: str):
    # Never evaluated (its result cache would be shared): only cloned, by _list_columns.
    return _with_agency_acronyms(Review.objects.select_related("model", "company"), vendor=vendor)


def _with_agency_acronyms(qs, *, vendor: str):
    """The participating agencies' acronyms for a list's rows. On PostgreSQL an
    array subquery in the rows' own statement (no prefetch query, no Agency
    instances: a third of a 25-row list's time went there); elsewhere a prefetch.
    Templates read them through ``Review.agency_labels``."""
    from django.db.models import OuterRef

    if vendor != "postgresql":
        return qs.prefetch_related("agencies", "sign_offs__agency", "certificates__agency")
    from django.contrib.postgres.expressions import ArraySubquery

    from .models import ReturnCertificate, ReviewAgency

    acronyms = ReviewAgency.objects.filter(review=OuterRef("pk")).order_by("agency__acronym").values("agency__acronym")
    # Which agencies signed off and certified, for the lists' "outstanding" column (Review.agency_states).
    signed = SignOff.objects.filter(review=OuterRef("pk")).order_by("agency__acronym").values("agency__acronym")
    certified = ReturnCertificate.objects.filter(review=OuterRef("pk")).order_by("agency__acronym").values("agency__acronym")
    return qs.annotate(
        agency_acronyms=ArraySubquery(acronyms),
        signed_acronyms=ArraySubquery(signed),
        certified_acronyms=ArraySubquery(certified),
    )


class ReviewPage(NamedTuple):
    """A review and the reader's standing on it, read in one statement."""

    review: Review
    standing: Standing


def review_page_get(*, user, pk: int, summaries: bool = False, creator: bool = False) -> ReviewPage:
    """The review and ``user``'s standing on it, or 404 when it does not exist or
    is out of the user's scope — every page about one review starts here.

    One statement: the review, its scope (the standing's "may view" — the
    same unexpired grants ``visible_to`` reads), the facts of the standing and, with
    ``summaries``, what the apps joined to the review's page count (open RFIs,
    documents, the readiness tally … ``reviews.hooks.summary``) and, with
    ``creator``, who created the review with their organisation (only the
    review's own page names them: four joins and ~60 columns the other pages
    would compile, plan and read for nothing). Pass the
    standing as ``review=`` to the dependent models' ``visible_to``: it proves
    the grants were read for this user a moment ago, so they are not read again.

    The statement is compiled once per reader and kind of page in each process
    (``portal.statements``): only the review's id and ``now`` change between
    two of the reader's pages, and they are parameters.
    """
    from django.http import Http404
    from django.utils import timezone

    from portal.scoping import reader_key
    from portal.statements import cached_rows

    def build(*, pk: int, now):
        from django.db.models import Subquery

        from .models import ClockStop

        related = ["model", "company"]
        if creator:
            related += ["created_by__membership__agency", "created_by__membership__company"]
        qs = Review.objects.filter(pk=pk).select_related(*related).annotate(**standing_expressions(user, now=now))
        if not getattr(user, "is_program_admin", False):
            # The standing's own "may view" (the user's unexpired reach or grants) is the scope.
            qs = qs.filter(standing_may_view=True)
        if summaries:
            qs = qs.annotate(
                clock_stopped_at=Subquery(
                    ClockStop.objects.filter(review=OuterRef("pk"), resumed_at__isnull=True)
                    .order_by("-stopped_at")
                    .values("stopped_at")[:1]
                ),
                **hooks.summaries(user),
            )
        return qs

    key = ("reviews.review_page_get", summaries, creator, hooks.summary_names() if summaries else (), reader_key(user))
    with prepared_statements():  # planned once per connection: see portal.db
        rows = cached_rows(key, build, pk=int(pk), now=timezone.now())
    if not rows:
        raise Http404("No review matches the given query.")
    review = rows[0]
    return ReviewPage(review, standing_of_loaded(user, review))


def review_detail_get(*, user, pk: int) -> ReviewPage:
    """``review_page_get`` with the page's counts (see ``reviews.hooks.summary``) and its creator."""
    return review_page_get(user=user, pk=pk, summaries=True, creator=True)


def review_page_rows(*, user, standing: Standing) -> dict[str, list]:
    """The rows the review's own page lists under the review: its agencies
    (by acronym), sign-offs, extension requests (with the agencies'
    positions), reviewers (none for a company), certificates and the
    timeline, each as ``review_sign_offs`` … ``review_timeline`` give them,
    for a ``standing`` of ``user`` that may view the review (the page's
    proof that the grants were read).

    Each statement is compiled once per reader and process
    (``portal.statements``); the review's id is its one parameter. At bench
    scale compiling them cost ~17 ms of the review page, running them ~1 ms each.
    """
    from dataclasses import replace

    from portal.ahead import Batch
    from portal.scoping import reader_key
    from portal.statements import Ahead

    from agencies.models import Agency

    from .models import ReturnCertificate

    def on(review: int) -> Standing:
        return replace(standing, review_id=review)  # the same proof, about the stand-in review

    builders = {
        "agencies": lambda *, review: Agency.objects.filter(reviews=review).order_by("acronym", "id"),
        "sign_offs": lambda *, review: review_sign_offs(user=user, review=on(review)),
        "extensions": lambda *, review: review_extensions(user=user, review=on(review)),
        "assignments": lambda *, review: review_assignments(user=user, review=on(review)),
        "certificates": lambda *, review: ReturnCertificate.objects.filter(review_id=review).select_related(
            "agency", "certified_by__membership__agency"
        ),
        "timeline": lambda *, review: review_timeline(review=review),
    }
    if standing.is_company:
        # The page shows a company no reviewers (Assignment.visible_to: none).
        # Asked anyway, that empty answer is compiled on every visit and never
        # kept (no statement to keep): ~2 ms of a liaison's review page.
        del builders["assignments"]
    proof = standing.user_id == getattr(user, "pk", None) and standing.may_view
    # Sent together on the second connection (portal.ahead): one wait for the
    # six instead of one each; in turn where nothing may go ahead.
    batch = Batch()
    try:
        sent = Ahead(batch)
        reads = {
            name: sent.rows(("reviews.review_page_rows", name, proof, reader_key(user)), build, review=standing.review_id)
            for name, build in builders.items()
        }
        rows = {name: read() for name, read in reads.items()}
    finally:
        batch.close()
    return {"assignments": [], **rows}


def review_timeline(*, review: Review | int):
    """The review's moves, oldest first, with each actor's organisation (the
    person display rule needs it)."""
    return ReviewTransition.objects.filter(review_id=getattr(review, "pk", review)).select_related(
        "actor__membership__agency", "actor__membership__company"
    )


def review_get(*, user, pk: int) -> Review:
    """The review, or 404 when it does not exist or is out of the user's scope."""
    return get_object_or_404(Review.objects.visible_to(user, among=[pk]).select_related("model", "company"), pk=pk)


def standing_get(*, user, review) -> Standing:
    """``user``'s standing on a review already known to be visible (one statement)."""
    return standing_of(user=user, review=review)


def without_returned(qs, *, user, review_path: str = "review"):
    """``qs`` (documents or versions, read with ``visible_to(user,
    material=True)``: in scope and past the terms gate) without the reviews
    whose material the user's agency certified returned or destroyed
    (``Standing.require_documents`` is the single-object side)."""
    from .models import ReturnCertificate

    if not user.agency_id:
        return qs
    certified = ReturnCertificate.objects.filter(agency_id=user.agency_id).values("review_id")
    return qs.exclude(**{f"{review_path}_id__in": certified})


def review_assignments(*, user, review):
    """Assignments on the review the user may see (companies: none). ``review``
    may be the reader's Standing (no second grants lookup)."""
    return (
        Assignment.objects.visible_to(user, review=review)
        .select_related("reviewer__membership__agency", "agency", "invited_by__membership__agency")
        .order_by("agency__acronym", "status", "reviewer__email")
    )


def review_access_list(*, review: Review, user):
    """Every user and group holding a permission on the review, with the grant's metadata.

    Program admins see all; a lead sees their own agency's people and the
    organisations (groups), but not other agencies' reviewers by name.
    """
    users = ReviewUserObjectPermission.objects.filter(content_object=review)
    if not user.is_program_admin:
        users = users.filter(user__membership__agency_id=user.agency_id)
    people = ("granted_by__membership__agency", "granted_by__membership__company")
    users = (
        users
        .select_related("user__membership__agency", "user__membership__company", "permission", *people)
        .order_by("user__email", "permission__codename")
    )
    from accounts.models import User

    members = User.objects.select_related("membership__agency", "membership__company").order_by("email")
    groups = (
        ReviewGroupObjectPermission.objects.filter(content_object=review)
        .select_related("group__agency_leads_of", "group__company_liaisons_of", "permission", *people)
        .prefetch_related(Prefetch("group__user_set", queryset=members))
        .order_by("group__name", "permission__codename")
    )
    return list(users), list(groups)


def review_access_history(*, review: Review, user):
    """Every grant and revocation on the review, newest first. People load with
    their organisation: a reader outside it sees the organisation only."""
    return AccessChange.objects.filter(review=review).select_related(
        "user__membership__agency", "user__membership__company", "group__agency_leads_of", "group__company_liaisons_of",
        "actor__membership__agency", "actor__membership__company",
    )


def assignment_get(*, user, pk: int) -> Assignment:
    return get_in_visible_review_or_404(
        Assignment.objects.select_related("review__model", "review__company", "agency", "invited_by__membership__agency", "reviewer__membership__agency"), user=user, pk=pk
    )


ASSIGNMENT_SORTS = {
    "deadline": ("review__window_end", "id"),
    "-deadline": ("-review__window_end", "-id"),
    "model": ("review__model__name", "id"),
    "-model": ("-review__model__name", "-id"),
    "status": ("status", "review__window_end", "id"),
    "-status": ("-status", "review__window_end", "id"),
}


# Sort keys that may be empty: reviews without a deadline (drafts) come last either way.
_NULLABLE = {"window_end", "review__window_end"}


def _ordering(sorts: dict, sort: str):
    """``sort``'s order (an unknown one: the first). A key that is never empty
    gets a plain ASC/DESC, which an index walks in either direction."""
    from django.db.models import F

    first, *rest = sorts.get(sort) or next(iter(sorts.values()))
    name = first.removeprefix("-")
    if name not in _NULLABLE:
        return [first, *rest]
    expr = F(name).desc(nulls_last=True) if first.startswith("-") else F(name).asc(nulls_last=True)
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
        from django.utils import timezone

        from accounts.models import User
        from portal.pagination import ChainedIds
        from portal.scoping import reader_key

        deadline = (F("review_window_end").asc(nulls_last=True), "id")
        qs = qs.order_by("-status", *deadline)

        # Invitations sort before accepted work ("-status"): the page ids and
        # the count come from each part on its own (portal.pagination.ChainedIds),
        # not from visible_to's OR, which hashed all 20,000 grants of a large
        # reviewer twice per dashboard (count and ids, ~8 ms at bench scale).
        def parts(now):
            return [
                part.order_by(*deadline).values_list("pk", flat=True)
                for part in (Assignment.objects.invitations_of(user), Assignment.objects.work_of(user))
            ]

        qs.page_ids = ChainedIds(
            parts, anchor=lambda: User.objects.filter(pk=user.pk), key=("reviews.reviewer_dashboard", reader_key(user)),
            now=timezone.now(),
        )
        qs.known_count = qs.page_ids.total
        return qs
    return qs.annotate(
        pending_first=Case(When(status=AssignmentStatus.INVITED, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("pending_first", *_ordering(ASSIGNMENT_SORTS, sort))


def lead_dashboard(*, user, sort: str = "deadline"):
    """The lead's agency reviews; who covers each is read for the page's rows
    only, once they are known (``lead_coverage_load``)."""
    return review_list(user=user, sort=sort)


class Cover(NamedTuple):
    """One active assignment of the lead's agency as a coverage cell shows it:
    the reviewer (loaded once per person) and the assignment's state."""

    reviewer_id: int
    status: str
    reviewer: object

    def get_status_display(self) -> str:
        return AssignmentStatus(self.status).label


def lead_coverage_load(*, user, reviews: list) -> None:
    """Sets ``review.coverage`` on each of ``reviews`` (a page of the lead's
    dashboard): a ``Cover`` per active assignment of the lead's agency on
    it, with its reviewer (membership and agency) loaded.

    Only what a coverage cell shows (the person's name or organisation, the
    assignment's state): ~150 assignments on a 25-review page, read as rows
    of three values rather than model instances, and far fewer people, each
    loaded once and shared by every assignment of theirs. Both statements
    are kept per reader (``portal.statements``: the page's review ids and
    then the people's ids are their slots, the agency a constant): as
    Django's prefetch they were built, compiled and planned on every visit,
    4.4 of a 7.4 ms table at bench scale."""
    from accounts.models import User
    from portal.scoping import reader_key
    from portal.statements import cached_rows, cached_values

    if not reviews:
        return
    key = reader_key(user)
    assignments = cached_values(
        ("reviews.lead_coverage", key),
        lambda *, ids: Assignment.objects.filter(
            agency_id=user.agency_id, status__in=ACTIVE_ASSIGNMENT, review_id__any_of=ids
        ).order_by("-invited_at", "-pk").values_list("review_id", "reviewer_id", "status"),
        ids=sorted({r.pk for r in reviews}),
    )
    people = {}
    if assignments:
        people = {
            person.pk: person
            for person in cached_rows(
                ("reviews.lead_coverage.people", key),
                lambda *, ids: User.objects.select_related("membership__agency").only(
                    "id", "full_name", "email", "membership__id", "membership__role", "membership__agency_id",
                    "membership__company_id", "membership__agency__acronym",
                ).filter(pk__any_of=ids),
                ids=sorted({reviewer_id for _, reviewer_id, _ in assignments}),
            )
        }
    per_review: dict[int, list] = {}
    for review_id, reviewer_id, status in assignments:
        person = people.get(reviewer_id)
        if person is None:
            continue  # removed between the two reads
        per_review.setdefault(review_id, []).append(Cover(reviewer_id, status, person))
    for review in reviews:
        review.coverage = per_review.get(review.pk, [])


def review_extensions(*, user, review: Review):
    """The review's extension requests, newest first (whoever sees the review sees them)."""
    return (
        ExtensionRequest.objects.visible_to(user, review=review)
        .select_related("requested_by__membership__agency", "requested_by__membership__company", "decided_by__membership__agency", "agency")
        .prefetch_related(Prefetch("positions", queryset=ExtensionPosition.objects.select_related("agency").order_by("agency__acronym")))
        .order_by("-created_at", "-id")
    )


def extension_get(*, user, pk: int) -> ExtensionRequest:
    return get_in_visible_review_or_404(
        ExtensionRequest.objects.select_related("review"), user=user, pk=pk
    )


def review_sign_offs(*, user, review):
    """Every participating agency's sign-off on the review, by agency (whoever sees the review sees them;
    the signer is shown by ``accounts.people``)."""
    return (
        SignOff.objects.visible_to(user, review=review)
        .select_related("agency", "signed_by__membership__agency", "signed_by__membership__company")
        .order_by("agency__acronym")
    )


def outstanding_agencies(*, agencies, sign_offs) -> list:
    """The participating ``agencies`` without one of ``sign_offs``, in the order given."""
    signed = {s.agency_id for s in sign_offs}
    return [a for a in agencies if a.pk not in signed]


def material_returned_to(*, user, review_id: int | None) -> bool:
    """``user`` held access to the review until their agency certified its material
    returned or destroyed (their grant was revoked then): their document links
    answer with the reason rather than "Not found" — they knew the review."""
    from .models import AccessAction, AccessChange, ReturnCertificate

    if review_id is None or not getattr(user, "agency_id", None):
        return False
    return (
        ReturnCertificate.objects.filter(review_id=review_id, agency_id=user.agency_id).exists()
        and AccessChange.objects.filter(review_id=review_id, user=user, action=AccessAction.REVOKE).exists()
    )
