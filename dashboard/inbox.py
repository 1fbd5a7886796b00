"""What each person must do, for the top of their dashboard ("Needs my action").

One selector per role (``inbox_for`` picks it). Each section is one query
over the model's ``visible_to(user)`` (for agency users' material
``visible_to(user, material=True)``, past the terms gate): its rows,
most urgent first, and its count (``_rows``: one statement when the section
holds at most ``LIMIT`` rows, else a count stopped at ``COUNT_CAP`` and the
first page), so a dashboard costs the same few queries whether the person
has one thing to do or a thousand. Items show reviews,
question subjects, finding titles and agencies' acronyms — never a person,
so nobody of another organisation is named.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, DateTimeField, Exists, OuterRef, Q, Subquery, Value
from django.utils import timezone

from findings.models import Finding, FindingStatus, RetestResult, Sharing
from readiness.models import ChecklistItem
from reviews.models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    ClockStop,
    ExtensionPosition,
    ExtensionRequest,
    ExtensionStatus,
    Review,
    ReviewAgency,
    ReviewStatus,
    SignOff,
    TermsAcceptance,
)
from portal.ahead import Batch
from portal.db import UnplannedValue, prepared_statements
from portal.links import pk_url
from portal.scoping import reader_key
from portal.pagination import by_ids
from portal.statements import Ahead, cached_count, cached_rows
from rfis.models import InformationRequest, RfiStatus

# Rows shown per section; the count is the full one up to COUNT_CAP ("1,000+"
# beyond: counting 50,000 past-window reviews for the program office read
# 50,000 index entries on every visit, 25 ms, for a number nobody reads exactly).
LIMIT = 10
COUNT_CAP = 1000
# The reviewer's "window ending" horizon (the first window reminder's).
WINDOW_ENDING_DAYS = 7
# The escalation points of the default deadline table (reminders.defaults).
SUBMITTED_ESCALATION_DAYS = 3
RFI_OFFICE_ESCALATION_DAYS = 3
UNCOVERED_ESCALATION_DAYS = 2
ACTIVE = (ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW)


@dataclass(frozen=True)
class Item:
    """One thing to do: what, about which object (a link), by when."""

    title: str  # the object: a review, a question's subject, a finding's title
    url: str
    review: str  # the review it belongs to ("Atlas-2 review #3")
    due: datetime | None = None
    note: str = ""
    stopped: bool = False  # the review's clock stands


def shown(count: int) -> str:
    """A count as shown: exact up to COUNT_CAP, "1,000+" beyond."""
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


@dataclass
class Section:
    key: str
    heading: str  # what to do ("Answer your assignments")
    count: int  # at most COUNT_CAP + 1
    items: list[Item]
    empty_note: str = ""

    @property
    def shown_count(self) -> str:
        return shown(self.count)


@dataclass
class Inbox:
    sections: list[Section]
    stopped_clocks: list[Item] = field(default_factory=list)
    stopped_count: int = 0
    now: datetime = field(default_factory=timezone.now)

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)

    @property
    def shown_total(self) -> str:
        capped = any(s.count > COUNT_CAP for s in self.sections)
        total = sum(min(s.count, COUNT_CAP) for s in self.sections)
        return f"{total:,}+" if capped else f"{total:,}"

    @property
    def shown_stopped_count(self) -> str:
        return shown(self.stopped_count)

    @property
    def items(self) -> list[tuple[Section, Item]]:
        """Every shown item, most urgent first: overdue and soonest due, then undated."""
        far = datetime.max.replace(tzinfo=self.now.tzinfo)
        rows = [(s, i) for s in self.sections for i in s.items]
        return sorted(rows, key=lambda row: (row[1].due is None, row[1].due or far))

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


@dataclass(frozen=True)
class _Read:
    """A kept statement a section asks for (``_row_steps`` yields it and is sent
    what it returns): ``kind`` "rows" (``cached_rows``) or "count"
    (``cached_count``), its key, build and values."""

    kind: str
    key: tuple
    build: object
    values: dict

    def in_turn(self):
        """Read now on the request's connection."""
        return (cached_rows if self.kind == "rows" else cached_count)(self.key, self.build, **self.values)

    def ahead(self, ahead: Ahead):
        """Sent now on ``ahead``'s batch; a function reading the result back."""
        return (ahead.rows if self.kind == "rows" else ahead.count)(self.key, self.build, **self.values)


def _row_steps(build, order, *, site: tuple, user, now, indexed: bool = False):
    """The first LIMIT rows of ``build(now)`` (a queryset) in ``order`` and the
    count (at most COUNT_CAP + 1), as a generator: it yields each statement
    it reads (a ``_Read``), is sent that statement's result and returns
    ``(count, rows)`` (``_Steps`` runs it, in turn or sent ahead).

    Most sections hold a few rows: up to LIMIT + 1 are read unordered first,
    and when no more than LIMIT come back they are the whole section — one
    statement, sorted here as PostgreSQL would (ascending, NULLs last; a test
    pins the order against the database's). With ORDER BY … LIMIT the planner
    walks an ordered index through every review the user sees, looking for
    rows that are not there (0.5 s for a user on 20,000 reviews with nothing
    in the section). A fuller section takes one more statement: the ids of
    its first LIMIT in order (a subquery, run once), those rows by id with
    their joins, and its count (``capped_count``, an InitPlan) apart from
    the rows (``COUNT(*) OVER ()`` in the rows' statement makes PostgreSQL
    build and sort every row before the first LIMIT come out — 0.2–0.5 s for
    the program office at 100,000 reviews); elsewhere than on PostgreSQL,
    three. A section that overflowed at its last read skips the first read
    next time (``_overflowed``): one statement while it stays full (the
    liaison's two full sections 1.12 -> 0.97 and 0.99 -> 0.88 ms at bench
    scale, where the count with the ids and then the rows took two).

    ``indexed``: the section's order is a partial index holding only its
    candidate rows (the lead's participations, the reviewer's terms and
    windows ending) or the whole table in order from the first candidate (the
    program office's overdue questions and windows): PostgreSQL only. The first
    LIMIT + 1 are read in order at once — a walk that stops at the eleventh
    row, where the unordered read hashed every reach row of the user first —
    and a full section costs two statements; one that was full when last
    read, one: its first LIMIT with its count (``capped_count``, run once
    as an InitPlan: the lead's two full sections 1.16 -> 0.99 ms each at
    bench scale).

    Each statement is compiled once per reader, section and process
    (``portal.statements``; "now" is its parameter): building and compiling a
    dashboard's querysets cost more than PostgreSQL running them."""
    # What the builds read besides the reader and settings (a settings change empties the kept statements).
    tunables = (LIMIT, COUNT_CAP, WINDOW_ENDING_DAYS, RFI_OFFICE_ESCALATION_DAYS)
    key = (*site, tuple(order), indexed, tunables, reader_key(user))

    def rows(shape: str, cut) -> _Read:
        return _Read("rows", ("dashboard.inbox", shape, *key), lambda *, now: cut(build(now)), {"now": now})

    def count() -> _Read:
        # Only the ids: a sliced count keeps the select list, and a section's
        # annotations (the running clock stop, the open items) ran once per row counted.
        return _Read(
            "count", ("dashboard.inbox", "count", *key), lambda *, now: build(now).order_by().values("pk")[: COUNT_CAP + 1], {"now": now}
        )

    if indexed:
        if connection.vendor == "postgresql" and _overflowed(key):
            # Full when last read: its first LIMIT in order and its count in one
            # statement (the count an InitPlan, run once), not two.
            first = yield rows("first_and_count", lambda qs: qs.order_by(*order).annotate(section_total=capped_count(qs))[:LIMIT])
            total = first[0].section_total if first else 0
            _remember_overflow(key, total > LIMIT)
            return total, first
        first = yield rows("first_in_order", lambda qs: qs.order_by(*order)[: LIMIT + 1])
        _remember_overflow(key, len(first) > LIMIT)
        if len(first) <= LIMIT:
            return len(first), first
        return (yield count()), first[:LIMIT]
    # Sorting a few rows here matches the database only for ascending, own-column orders.
    sortable_here = not any(name.startswith("-") or "__" in name for name in order)
    if sortable_here and not _overflowed(key):
        first = yield rows("first", lambda qs: qs.order_by()[: LIMIT + 1])
        if len(first) <= LIMIT:
            return len(first), sorted(first, key=lambda row: tuple(_ascending(getattr(row, name)) for name in order))
    # The first LIMIT in order: their ids alone, then those rows by id. The
    # section's joins (review, model, agency) and annotations (a running clock
    # stop) ran for every row sorted otherwise — every open question of a
    # liaison's 200 reviews joined before ten were kept: 4-7 ms against ~1.
    if connection.vendor == "postgresql":
        # Those rows and the count in one statement: the ids of the first LIMIT
        # in order a subquery (run once), the count an InitPlan.
        def first_by_id(*, now):
            qs = build(now)
            first = qs.order_by(*order).values("pk")[:LIMIT]
            return by_ids(qs).filter(pk__in=first).annotate(section_total=capped_count(qs)).order_by(*order)

        found = yield _Read("rows", ("dashboard.inbox", "first_by_id_and_count", *key), first_by_id, {"now": now})
        total = found[0].section_total if found else 0
        if sortable_here:
            _remember_overflow(key, total > LIMIT)
        return total, found
    total = yield count()
    ids = list(build(now).order_by(*order).values_list("pk", flat=True)[:LIMIT]) if total else []
    if sortable_here:  # the others never read the unordered first rows: nothing to remember
        _remember_overflow(key, total > LIMIT)
    if not ids:
        return total, []
    found = yield _Read(
        "rows", ("dashboard.inbox", "rows_by_id", *key), lambda *, now, ids: by_ids(build(now)).filter(pk__any_of=ids), {"now": now, "ids": list(ids)}
    )
    by_pk = {row.pk: row for row in found}
    return total, [by_pk[pk] for pk in ids if pk in by_pk]


def _rows(build, order, *, site: tuple, user, now, indexed: bool = False) -> tuple[int, list]:
    """``_row_steps`` read in turn: the section's count and first rows."""
    steps = _row_steps(build, order, site=site, user=user, now=now, indexed=indexed)
    result = None
    while True:
        try:
            read = steps.send(result)
        except StopIteration as done:
            return done.value
        result = read.in_turn()


# Sections (by ``_rows``' key: reader, call site, order) that held more than
# LIMIT rows when last read. Their next read skips the unordered first read,
# which would come back full again and be thrown away — a statement and
# LIMIT + 1 rows with their joins (~3.5 ms a section of a liaison's 266 open
# questions at bench scale). Only which statements run depends on it, never
# what they find: a section that shrank is read right by the fuller way and
# forgotten here. Least recently used dropped past OVERFLOWED_ENTRIES.
OVERFLOWED_ENTRIES = 4096
_overflowed_keys: OrderedDict = OrderedDict()
_overflowed_lock = threading.Lock()


def _overflowed(key) -> bool:
    with _overflowed_lock:
        if key not in _overflowed_keys:
            return False
        _overflowed_keys.move_to_end(key)
        return True


def _remember_overflow(key, overflowed: bool) -> None:
    with _overflowed_lock:
        if not overflowed:
            _overflowed_keys.pop(key, None)
            return
        _overflowed_keys[key] = True
        _overflowed_keys.move_to_end(key)
        while len(_overflowed_keys) > OVERFLOWED_ENTRIES:
            _overflowed_keys.popitem(last=False)


def capped_count(qs):
    """How many rows ``qs`` holds, stopped at COUNT_CAP + 1, as an expression
    of another statement (an uncorrelated subquery: PostgreSQL runs it once).
    Each row counts as a constant, not its id: an index without the id (the
    lead's participations') then answers it alone, where collecting the ids
    read every row from the table (0.17 -> 0.74 ms at bench scale)."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import Func, IntegerField

    # A DISTINCT queryset's rows are told apart by their ids (a constant would count one).
    rows = qs.order_by().values("pk") if qs.query.distinct else qs.order_by().values(counted=Value(1, output_field=IntegerField()))
    rows = rows[: COUNT_CAP + 1]
    return Func(ArraySubquery(rows), function="cardinality", output_field=IntegerField())


def _per_moment(build):
    """``build(now)`` (a dict of querysets) built once per moment: the real one,
    or each stand-in ``portal.statements`` compiles at (every section's
    statement is compiled from the same two builds)."""
    built: dict = {}

    def get(now):
        if now not in built:
            built[now] = build(now)
        return built[now]

    return get


def _ascending(value):
    return (value is None, value if value is not None else 0)


def _review_label(review) -> str:
    return f"{review.model} review #{review.pk}"


def _running_stop():
    return ClockStop.objects.filter(review=OuterRef("pk"), resumed_at__isnull=True).order_by("-stopped_at").values("stopped_at")[:1]


def _running_stop_of_review():
    return ClockStop.objects.filter(review=OuterRef("review_id"), resumed_at__isnull=True).values("stopped_at")[:1]


def _section(key, heading, order, make, empty_note="", *, queries, site, user, now, only=None, indexed=False):
    """One section's steps (a generator, as ``_row_steps``), returning the Section
    (None when ``only`` names other sections: no query then): the queryset
    ``queries(now)[key]`` read by ``_rows`` (see it for ``indexed``)."""
    if only is not None and key not in only:
        return None
    count, rows = yield from _row_steps(lambda now: queries(now)[key], order, site=(site, key), user=user, now=now, indexed=indexed)
    return Section(key=key, heading=heading, count=count, items=[make(r) for r in rows], empty_note=empty_note)


def _stopped_clocks(user, now, only=None):
    """Reviews in review the user sees whose clock stands (a blocking question
    waits on the company): steps returning their count and items."""
    if only is not None and "stopped" not in only:
        return 0, []

    def stopped(now):
        return (
            Review.objects.visible_to(user)
            .filter(status=ReviewStatus.IN_REVIEW)
            # Driven by the running stops (a few), not by every review in review.
            .filter(pk__in=ClockStop.objects.filter(resumed_at__isnull=True).values("review_id"))
            .annotate(stopped_since=Subquery(_running_stop()))
            .filter(stopped_since__isnull=False)
            .select_related("model")
        )

    count, rows = yield from _row_steps(stopped, ["stopped_since", "id"], site=("stopped",), user=user, now=now)
    return count, [
        Item(
            title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r), due=None, stopped=True,
            note=f"Clock stopped since {timezone.localtime(r.stopped_since):%b %-d, %Y %H:%M}",
        )
        for r in rows
    ]


def _rfi_item(rfi, *, note: str = "", due=True) -> Item:
    return Item(
        title=rfi.subject, url=pk_url("rfi_detail", rfi.pk), review=_review_label(rfi.review),
        due=rfi.due_at if due else None, note=note, stopped=bool(getattr(rfi, "stopped_since", None)),
    )


def _reviewer_queries(user, now, *, indexed: bool) -> dict:
    """The reviewer's sections' querysets at ``now`` (see ``reviewer_inbox``)."""
    accepted_here = Assignment.objects.filter(review=OuterRef("pk"), reviewer_id=user.pk, status=AssignmentStatus.ACCEPTED)
    invitations = (
        Assignment.objects.visible_to(user)
        .filter(reviewer_id=user.pk, status=AssignmentStatus.INVITED, review__status__in=ACTIVE)
        .select_related("review__model", "agency")
    )
    if indexed:
        # The accepted work still owing the current terms (assignment_terms_due_idx).
        terms = (
            Assignment.objects.work_of(user).filter(review_status__in=ACTIVE, terms_accepted=False)
            .select_related("review__model")
        )
    else:
        terms_now = TermsAcceptance.objects.filter(review=OuterRef("pk"), user_id=user.pk, version=OuterRef("access_terms_version"))
        terms = (
            Review.objects.visible_to(user).filter(status__in=ACTIVE).filter(Exists(accepted_here), ~Exists(terms_now))
            .select_related("model")
        )
    answered = (
        InformationRequest.objects.visible_to(user, material=True)
        .filter(asked_by_id=user.pk, status=RfiStatus.ANSWERED)
        .select_related("review__model")
    )
    my_reviews = Review.objects.visible_to(user).filter(status=ReviewStatus.IN_REVIEW).filter(Exists(accepted_here))
    # Asked per review (EXISTS, then a count for the rows shown) rather than
    # grouping every review of the reviewer's to keep those with open items: a
    # reviewer on thousands of reviews with nothing left costs a probe each.
    open_items = ChecklistItem.objects.visible_to(user, material=True).filter(answer="", review_id=OuterRef("pk")).order_by()
    checklist = (
        my_reviews.filter(Exists(open_items))
        .annotate(open_items=Subquery(open_items.values("review_id").annotate(n=Count("pk")).values("n")))
        .select_related("model")
    )
    # The reviewer's assignments rather than their reviews: a reviewer on
    # thousands of reviews in review walked every review ending soon to find
    # theirs (10-30 ms at bench scale). On PostgreSQL the review's status and
    # deadline are copied onto the assignment (reviews/0012, 0022) and read
    # off one index in the section's order.
    ending_by = now + timedelta(days=WINDOW_ENDING_DAYS)
    if indexed:
        # The bound out of the planner's view (portal.db.UnplannedValue): the
        # walk stops after the section's rows wherever it lies, and in view it
        # made PostgreSQL plan this statement again on every visit.
        near = {"review_status": ReviewStatus.IN_REVIEW, "review_window_end__lte": UnplannedValue(ending_by, DateTimeField())}
    else:
        near = {"review__status": ReviewStatus.IN_REVIEW, "review__window_end__lte": ending_by}
    ending = (
        Assignment.objects.work_of(user).filter(**near)
        .annotate(stopped_since=Subquery(_running_stop_of_review()))
        .select_related("review__model")
    )
    return {"assignments": invitations, "terms": terms, "rfis_answered": answered, "checklist": checklist, "window_ending": ending}


# ------------------------------------------------------------------ reviewer
def _reviewer_plan(user, now: datetime, only: set[str] | None) -> list:
    """The reviewer's sections' steps and the stopped clocks' (``_inbox``)."""
    answer_days = timedelta(days=settings.PORTAL_ASSIGNMENT_ANSWER_DAYS)
    # On PostgreSQL the terms and window-ending sections read the reviewer's
    # assignments, which carry their review's status, deadline and terms
    # (triggers: reviews/0012, 0022, 0026), off an index in the section's order.
    indexed = connection.vendor == "postgresql"
    queries = _per_moment(lambda now: _reviewer_queries(user, now, indexed=indexed))
    sec = partial(_section, queries=queries, site="reviewer", user=user, now=now, only=only)
    terms_order = ["review_window_end", "review_id"] if indexed else ["window_end", "id"]
    ending_order = ["review_window_end", "review_id"] if indexed else ["review__window_end", "review_id"]

    def terms_item(row):
        r = row.review if isinstance(row, Assignment) else row
        return Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r), due=r.window_end,
                    note="The review's material opens once you accept its terms")

    return [*[
        sec(
            "assignments", "Answer your assignments", ["invited_at", "id"],
            lambda a: Item(
                title=_review_label(a.review), url=pk_url("assignment_detail", a.pk),
                review=_review_label(a.review), due=a.invited_at + answer_days, note=f"Asked by {a.agency.acronym}: accept or decline",
            ),
        ),
        sec("terms", "Accept the access terms", terms_order, terms_item, indexed=indexed),
        sec(
            "rfis_answered", "Read the answers to your questions", ["answered_at", "id"],
            lambda rfi: _rfi_item(rfi, due=False, note=f"Answered {timezone.localtime(rfi.answered_at):%b %-d, %Y}; close it or ask again"),
        ),
        sec(
            "checklist", "Finish the readiness checklist", ["window_end", "id"],
            lambda r: Item(
                title=_review_label(r), url=pk_url("review_checklist", r.pk), review=_review_label(r),
                due=r.window_end, note=f"{r.open_items} item{'s' if r.open_items != 1 else ''} open",
            ),
        ),
        sec(
            "window_ending", "Windows ending soon", ending_order,
            lambda a: Item(
                title=_review_label(a.review), url=a.review.get_absolute_url(), review=_review_label(a.review),
                due=a.review.window_end, stopped=a.stopped_since is not None,
                note="Clock stopped: the end moves by the time it stands" if a.stopped_since else "Record your findings before the end",
            ),
            indexed=indexed,  # assignment_work_idx
        ),
    ], _stopped_clocks(user, now, only)]


# ---------------------------------------------------------------------- lead
def _lead_queries(user, now, *, indexed: bool) -> dict:
    """The lead's sections' querysets at ``now`` (see ``lead_inbox``)."""
    agency_id = user.agency_id
    answer_days = timedelta(days=settings.PORTAL_ASSIGNMENT_ANSWER_DAYS)
    participating = Exists(ReviewAgency.objects.filter(review=OuterRef("pk"), agency_id=agency_id))
    mine = Review.objects.visible_to(user).filter(participating)
    if indexed:
        # The agency's participations rather than its reviews: each carries the
        # review's status and dates and its count of invited and accepted
        # assignments (kept by triggers, reviews/0018 and 0024), so both
        # sections walk a partial index in their own order and stop at ten.
        # Joining the agency's reviews to sort them cost 15-25 ms for a lead
        # whose agency has 1,667 uncovered reviews (bench scale).
        own = ReviewAgency.objects.visible_to(user).filter(agency_id=agency_id).select_related("review__model")
        uncovered = own.filter(active_assignments=0, review_status__in=ACTIVE)
        signed_here = Exists(SignOff.objects.filter(review=OuterRef("review_id"), agency_id=agency_id))
        sign_offs = (
            own.filter(review_status=ReviewStatus.IN_REVIEW).filter(~signed_here)
            .annotate(stopped_since=Subquery(_running_stop_of_review()))
        )
    else:
        covered = Exists(Assignment.objects.filter(review=OuterRef("pk"), agency_id=agency_id, status__in=ACTIVE_ASSIGNMENT))
        signed = Exists(SignOff.objects.filter(review=OuterRef("pk"), agency_id=agency_id))
        uncovered = mine.filter(status__in=ACTIVE).filter(~covered).select_related("model")
        sign_offs = (
            mine.filter(status=ReviewStatus.IN_REVIEW).filter(~signed)
            .annotate(stopped_since=Subquery(_running_stop()))
            .select_related("model")
        )
    positioned = Exists(ExtensionPosition.objects.filter(extension=OuterRef("pk"), agency_id=agency_id))
    extensions = (
        ExtensionRequest.objects.visible_to(user)
        .filter(status=ExtensionStatus.PENDING, review__status=ReviewStatus.IN_REVIEW)
        .filter(review__in=mine.values("pk"))
        .filter(Q(agency_id=agency_id) | ~positioned)
        .select_related("review__model", "agency")
    )
    late_assignments = (
        Assignment.objects.visible_to(user)
        .filter(status=AssignmentStatus.INVITED, review__status__in=ACTIVE, invited_at__lt=now - answer_days)
        .select_related("review__model")
    )
    late_rfis = (
        InformationRequest.objects.visible_to(user, material=True)
        .filter(agency_id=agency_id, status=RfiStatus.OPEN, due_at__lt=now)
        .select_related("review__model")
    )
    return {
        "uncovered": uncovered, "extensions": extensions, "sign_offs": sign_offs,
        "late_assignments": late_assignments, "late_rfis": late_rfis,
    }


def _lead_plan(user, now: datetime, only: set[str] | None) -> list:
    """The lead's sections' steps and the stopped clocks' (``_inbox``)."""
    agency_id = user.agency_id
    answer_days = timedelta(days=settings.PORTAL_ASSIGNMENT_ANSWER_DAYS)
    indexed = connection.vendor == "postgresql"  # see _lead_queries
    queries = _per_moment(lambda now: _lead_queries(user, now, indexed=indexed))
    sec = partial(_section, queries=queries, site="lead", user=user, now=now, only=only)
    uncovered_order = ["review_window_start", "review_submitted_at", "review_id"] if indexed else ["window_start", "submitted_at", "id"]
    sign_offs_order = ["review_window_end", "review_id"] if indexed else ["window_end", "id"]

    def uncovered_item(row):
        r = row.review if isinstance(row, ReviewAgency) else row
        due = r.window_start + timedelta(days=UNCOVERED_ESCALATION_DAYS) if r.window_start else None
        note = "In review without a reviewer of your agency" if r.window_start else "Submitted: assign a reviewer before it opens"
        return Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r), due=due, note=note)

    def sign_off_item(row):
        r = row.review if isinstance(row, ReviewAgency) else row
        if row.stopped_since:
            note = "Clock stopped: the end moves by the time it stands"
        elif r.window_end and r.window_end < now:
            note = "The window has ended without your agency's sign-off: ask for an extension, or the program office closes it naming your agency"
        else:
            note = "Your agency's conclusion is due by the window's end"
        return Item(title=_review_label(r), url=pk_url("review_sign_off", r.pk), review=_review_label(r),
                    due=r.window_end, stopped=row.stopped_since is not None, note=note)

    def extension_item(e):
        if e.agency_id == agency_id:
            note = f"Your agency's request for {e.days} more day{'s' if e.days != 1 else ''} waits for the " + (
                "program office's decision" if e.company_answer else "company's answer and the program office's decision"
            )
        else:
            note = f"{e.agency.acronym} asks for {e.days} more day{'s' if e.days != 1 else ''}: state your agency's position"
        return Item(title=_review_label(e.review), url=e.review.get_absolute_url() + "#extensions-title",
                    review=_review_label(e.review), due=e.review.window_end, note=note)

    return [*[
        sec("uncovered", "Assign a reviewer", uncovered_order, uncovered_item, indexed=indexed),
        sec("extensions", "Pending extension requests", ["created_at", "id"], extension_item),
        sec("sign_offs", "Record your agency's sign-off", sign_offs_order, sign_off_item, indexed=indexed),
        sec(
            "late_assignments", "Escalated: assignments not answered", ["invited_at", "id"],
            lambda a: Item(title=_review_label(a.review), url=pk_url("assignment_detail", a.pk),
                           review=_review_label(a.review), due=a.invited_at + answer_days,
                           note="Your reviewer has not accepted or declined: remind them or assign someone else"),
        ),
        sec(
            "late_rfis", "Escalated: your questions overdue at the company", ["due_at", "id"],
            lambda rfi: _rfi_item(rfi, note="The company has not answered by the due date"),
        ),
    ], _stopped_clocks(user, now, only)]


# ------------------------------------------------------------------- liaison
def _liaison_queries(user, now) -> dict:
    """The liaison's sections' querysets (see ``liaison_inbox``)."""
    rfis = (
        InformationRequest.objects.visible_to(user)
        .filter(status=RfiStatus.OPEN)
        .filter(Q(assignee__isnull=True) | Q(assignee_id=user.pk))
        .annotate(stopped_since=Subquery(_running_stop_of_review()))
        .select_related("review__model", "agency")
    )
    findings = (
        Finding.objects.visible_to(user)
        .filter(sharing=Sharing.COMPANY)
        .filter(Q(status=FindingStatus.SHARED) | Q(status=FindingStatus.RETESTED, retest_result=RetestResult.STILL_PRESENT))
        .select_related("review__model", "agency")
    )
    drafts = Review.objects.visible_to(user).filter(status=ReviewStatus.DRAFT).select_related("model")
    extensions = (
        ExtensionRequest.objects.visible_to(user)
        .filter(status=ExtensionStatus.PENDING, company_answer="", review__status=ReviewStatus.IN_REVIEW)
        .select_related("review__model", "agency")
    )
    return {"rfis": rfis, "findings": findings, "extensions": extensions, "drafts": drafts}


def _liaison_plan(user, now: datetime, only: set[str] | None) -> list:
    """The liaison's sections' steps and the stopped clocks' (``_inbox``)."""
    queries = _per_moment(lambda now: _liaison_queries(user, now))
    sec = partial(_section, queries=queries, site="liaison", user=user, now=now, only=only)

    def rfi_item(rfi):
        note = f"From {rfi.agency.acronym}"
        if rfi.blocking:
            note += "; blocking: " + ("the review's clock is stopped until you answer" if rfi.stopped_since else "the agencies cannot work until you answer")
        return _rfi_item(rfi, note=note)

    return [*[
        sec("rfis", "Answer the agencies' questions", ["due_at", "id"], rfi_item),
        sec(
            "findings", "Respond to findings shared with you", ["shared_at", "id"],
            lambda f: Item(
                title=f.title, url=pk_url("finding_detail", f.pk), review=_review_label(f.review),
                note=f"{f.get_severity_display()} finding from {f.agency.acronym}"
                + ("; the retest found it still present" if f.status == FindingStatus.RETESTED else ""),
            ),
        ),
        sec(
            "extensions", "Answer extension requests", ["created_at", "id"],
            lambda e: Item(
                title=_review_label(e.review), url=e.review.get_absolute_url() + "#extensions-title", review=_review_label(e.review),
                due=e.review.window_end, note=f"{e.agency.acronym} asks for {e.days} more day{'s' if e.days != 1 else ''}: consent or object",
            ),
        ),
        sec(
            "drafts", "Submit your draft reviews", ["created_at", "id"],
            lambda r: Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r),
                           note=f"Draft since {timezone.localtime(r.created_at):%b %-d, %Y}: submit it to the agencies"),
        ),
    ], _stopped_clocks(user, now, only)]


# ------------------------------------------------------------ program office
def _office_queries(user, now) -> dict:
    """The program office's sections' querysets at ``now`` (see ``office_inbox``)."""
    reviews = Review.objects.visible_to(user)
    submitted = reviews.filter(status=ReviewStatus.SUBMITTED).select_related("model")
    late_rfis = (
        InformationRequest.objects.visible_to(user)
        .filter(status=RfiStatus.OPEN, due_at__lt=now - timedelta(days=RFI_OFFICE_ESCALATION_DAYS))
        .select_related("review__model", "agency")
    )
    extensions = (
        ExtensionRequest.objects.visible_to(user)
        .filter(status=ExtensionStatus.PENDING)
        .select_related("review__model", "agency")
    )
    # A running clock stop holds the end back: such a window is not past.
    held = Exists(ClockStop.objects.filter(review=OuterRef("pk"), resumed_at__isnull=True, stopped_at__lt=OuterRef("window_end")))
    past = reviews.filter(status=ReviewStatus.IN_REVIEW, window_end__lt=now).filter(~held).select_related("model")
    return {"submitted": submitted, "late_rfis": late_rfis, "extensions": extensions, "past_window": past}


def _office_plan(user, now: datetime, only: set[str] | None) -> list:
    """The office's sections' steps and the stopped clocks' (``_inbox``)."""
    # The program office sees every review: its two large sections walk an
    # index in their own order from the first overdue row (no scope to hash).
    indexed = connection.vendor == "postgresql"
    queries = _per_moment(lambda now: _office_queries(user, now))
    sec = partial(_section, queries=queries, site="office", user=user, now=now, only=only)

    def extension_item(e):
        answer = {"consent": "the company consents", "object": "the company objects"}.get(e.company_answer, "the company has not answered")
        return Item(title=_review_label(e.review), url=e.review.get_absolute_url() + "#extensions-title",
                    review=_review_label(e.review), due=e.review.window_end,
                    note=f"{e.agency.acronym} asks for {e.days} more day{'s' if e.days != 1 else ''}; {answer}")

    return [*[
        sec(
            "submitted", "Open submitted reviews", ["submitted_at", "id"],
            lambda r: Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r),
                           due=r.submitted_at + timedelta(days=SUBMITTED_ESCALATION_DAYS) if r.submitted_at else None,
                           note=f"Submitted {timezone.localtime(r.submitted_at):%b %-d, %Y}" if r.submitted_at else "Submitted"),
        ),
        sec(
            "late_rfis", f"Escalated: questions {RFI_OFFICE_ESCALATION_DAYS}+ days overdue", ["due_at", "id"],
            lambda rfi: _rfi_item(rfi, note=f"Asked by {rfi.agency.acronym}; the company has not answered"),
            indexed=indexed,  # rfi_open_due_id_idx
        ),
        sec("extensions", "Decide extension requests", ["created_at", "id"], extension_item),
        sec(
            "past_window", "Reviews past their window", ["window_end", "id"],
            lambda r: Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r), due=r.window_end,
                           note="Close it (naming agencies that did not sign off) or extend it"),
            indexed=indexed,  # review_status_idx (status, window_end, id)
        ),
    ], _stopped_clocks(user, now, only)]


def _in_turn(plan):
    def inbox(*, user, now: datetime | None = None, only: set[str] | None = None) -> Inbox:
        now = now or timezone.now()
        return _Started(plan(user, now, only), now, None).result()

    inbox.__doc__ = f"The inbox of {plan.__name__[1:-5]} ``user``, read in turn (``inbox_for``)."
    return inbox


reviewer_inbox, lead_inbox, liaison_inbox, office_inbox = map(_in_turn, (_reviewer_plan, _lead_plan, _liaison_plan, _office_plan))


def inbox_for(user, *, now: datetime | None = None, only: set[str] | None = None) -> Inbox | None:
    """The inbox of the user's role (None: no role); ``only``: just these
    sections' keys ("stopped" for the stopped clocks). Read in turn;
    ``inbox_ahead`` sends the statements ahead.

    Every role's sections run prepared on the connection
    (``portal.db.prepared_statements``): each section statement is a few
    joins that PostgreSQL planned in 0.5-3 ms and ran in well under 1 ms.
    Kept statements carry the reader's constants (their id, agency,
    statuses) in their text (``portal.statements._inline``), so each is a
    statement of its reader whose generic plan sees all but "now": chosen
    from the sixth visit on the connection. Measured at bench scale: the
    20-review reviewer's dashboard 15.7 -> 12.2 ms p50, the lead's 23 -> 19,
    the program office's 19 -> 16. With the constants as parameters (before)
    PostgreSQL kept re-planning the agency and company users' sections, and
    the program office's generic plans, blind to its statuses, made its
    inbox slower (54 -> 82 ms), so it was left unprepared."""
    started = _start(user, now=now, only=only, batch=None)
    return started.result() if started is not None else None


def inbox_ahead(user, *, now: datetime | None = None) -> _Started | None:
    """The user's inbox, its statements sent now on the request's second
    connection (``portal.ahead``: PostgreSQL runs them while the page reads
    the rest); ``.result()`` reads them back and gives the Inbox (None: no
    role). Where nothing may be sent ahead it reads in turn, as ``inbox_for``.
    A section whose next statement depends on its first (it came back
    fuller than last time) asks it when the result is read."""
    return _start(user, now=now, only=None, batch=Batch())


def _start(user, *, now, only, batch: Batch | None) -> _Started | None:
    for is_role, plan in (
        (user.is_agency_reviewer, _reviewer_plan),
        (user.is_agency_lead, _lead_plan),
        (user.is_company_liaison, _liaison_plan),
        (user.is_program_admin, _office_plan),
    ):
        if is_role:
            now = now or timezone.now()
            return _Started(plan(user, now, only), now, batch)
    if batch is not None:
        batch.close()
    return None


class _Started:
    """An inbox's steps under way: every section's next statement read in turn
    or sent ahead on ``batch`` (``portal.ahead``), one round at a time; the
    rows become items when ``result()`` is asked (on the request's thread)."""

    def __init__(self, steps: list, now: datetime, batch: Batch | None):
        self.now = now
        self._batch = batch
        self._ahead = Ahead(batch) if batch is not None and batch.active else None
        self._found: list = [None] * len(steps)
        self._waiting: list = []
        with prepared_statements():  # what is read in turn runs prepared, as every section's statement (inbox_for)
            for n, step in enumerate(steps):
                self._advance(n, step, None)

    def _advance(self, n: int, step, value) -> None:
        try:
            read = step.send(value)
        except StopIteration as done:
            self._found[n] = done.value
            return
        if self._ahead is not None:
            self._waiting.append((n, step, read.ahead(self._ahead)))
        else:
            value = read.in_turn()
            self._waiting.append((n, step, lambda: value))

    def result(self) -> Inbox:
        try:
            with prepared_statements():
                while self._waiting:
                    current, self._waiting = self._waiting, []
                    for n, step, result in current:
                        self._advance(n, step, result())
        finally:
            if self._batch is not None:
                self._batch.close()
        *sections, (count, stopped) = self._found
        return Inbox(sections=[s for s in sections if s is not None], stopped_clocks=stopped, stopped_count=count, now=self.now)
