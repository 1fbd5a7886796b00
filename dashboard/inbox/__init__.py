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

Here: what a section reads and how (``_row_steps``), the inbox read in turn
(``inbox_for``) or sent ahead (``inbox_ahead``); each role's sections are in
``roles``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Value
from django.utils import timezone

from portal.ahead import Batch
from portal.db import prepared_statements
from portal.pagination import by_ids
from portal.scoping import reader_key
from portal.statements import Ahead, cached_count, cached_rows
from reviews.models import ReviewStatus

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


def _in_turn(role: str):
    def inbox(*, user, now: datetime | None = None, only: set[str] | None = None) -> Inbox:
        from .roles import PLANS  # the roles' module reads this one's names

        now = now or timezone.now()
        return _Started(PLANS[role](user, now, only), now, None).result()

    inbox.__name__ = inbox.__qualname__ = f"{role}_inbox"
    inbox.__doc__ = f"The {role}'s inbox for ``user``, read in turn (``inbox_for``)."
    return inbox


reviewer_inbox, lead_inbox, liaison_inbox, office_inbox = map(_in_turn, ("reviewer", "lead", "liaison", "office"))


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


def inbox_ahead(user, *, now: datetime | None = None, batch: Batch | None = None) -> _Started | None:
    """The user's inbox, its statements sent now on the request's second
    connection (``portal.ahead``: PostgreSQL runs them while the page reads
    the rest); ``.result()`` reads them back and gives the Inbox (None: no
    role). Where nothing may be sent ahead it reads in turn, as ``inbox_for``.
    A section whose next statement depends on its first (it came back
    fuller than last time) asks it when the result is read. ``batch``: the
    page's, which the page closes (other reads go on it too); otherwise one
    of its own, closed by ``.result()``."""
    if batch is not None:
        return _start(user, now=now, only=None, batch=batch, owned=False)
    return _start(user, now=now, only=None, batch=Batch())


def _start(user, *, now, only, batch: Batch | None, owned: bool = True) -> _Started | None:
    from .roles import PLANS  # the roles' module reads this one's names

    for is_role, role in (
        (user.is_agency_reviewer, "reviewer"),
        (user.is_agency_lead, "lead"),
        (user.is_company_liaison, "liaison"),
        (user.is_program_admin, "office"),
    ):
        if is_role:
            now = now or timezone.now()
            return _Started(PLANS[role](user, now, only), now, batch, owned=owned)
    if batch is not None and owned:
        batch.close()
    return None


class _Started:
    """An inbox's steps under way: every section's next statement read in turn
    or sent ahead on ``batch`` (``portal.ahead``), one round at a time; the
    rows become items when ``result()`` is asked (on the request's thread)."""

    def __init__(self, steps: list, now: datetime, batch: Batch | None, *, owned: bool = True):
        self.now = now
        self._batch = batch if owned else None  # closed by result() only when it is the inbox's own
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
            found = read.in_turn()
            self._waiting.append((n, step, lambda: found))

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
