"""Pagination shared by every list page."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django.db.models.sql.where import WhereNode

PAGE_SIZES = (10, 25, 50, 100)


def paginate(request, qs, default: int = 25, *, kept: tuple | None = None):
    """The requested page of ``qs`` (``?page=``, ``?per_page=`` one of PAGE_SIZES).

    ``kept``: the call site and everything that shapes ``qs``'s columns, joins
    and prefetches (its order and filters included: they may add joins), to
    keep its page-rows statement compiled for this reader (``page_rows``)."""
    try:
        size = int(request.GET.get("per_page", default))
    except ValueError:
        size = default
    size = size if size in PAGE_SIZES else default
    paginator = Paginator(qs, size)
    known = getattr(qs, "known_count", None)
    if known is not None:
        # Known from the grants (a number, or a cheap count of them): no COUNT over reviews.
        paginator.count = known() if callable(known) else known
    page = paginator.get_page(request.GET.get("page"))
    # Evaluate the page once: templates index, test and loop over it, and each
    # of those on a lazy slice would be its own query.
    offset = page.start_index() - 1 if paginator.count else 0
    if kept is not None:
        from .scoping import reader_key

        kept = (*kept, reader_key(request.user))
    page.object_list = page_rows(qs, offset=offset, limit=size, total=paginator.count, kept=kept)
    # A window of page links (1 … 4 5 [6] 7 8 … 4000): looping over every page
    # number in the template cost 100 ms at 100,000 reviews.
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


class ChainedIds:
    """A list's page ids when the list is its parts one after another: each
    part a ``values_list("pk", flat=True)`` queryset in the list's order, and
    every row of a part sorting before every row of the next. PostgreSQL only.

    A list whose filter is an OR of such parts (a reviewer's invitations, then
    their accepted work) makes PostgreSQL hash every row the OR's IN subquery
    reads before the first id comes out (20,000 grants: 3-4 ms a statement);
    each part alone walks its own index. The parts' counts are read in one
    statement (``total``: the list's ``known_count``), a page's ids in one
    more (an array per part it overlaps, each in its part's order): as many
    statements as the list's own count and ids, whatever the page spans.
    Sliceable and ``reverse()``-able as ``page_rows`` uses a page-id source.

    ``parts(now)`` builds the parts afresh at a moment, ``anchor()`` a
    queryset of exactly one row to read the counts and arrays from (the
    reader's own row), ``key`` names the call site and the reader: both
    statements are kept (``portal.statements``, "now" their slot; one ids
    statement per page window), so building and compiling the parts, and
    PostgreSQL planning them, happen on a reader's first visits only."""

    def __init__(self, parts, *, anchor, key: tuple, now, reverse: bool = False, counts: list[int] | None = None):
        self._parts, self._anchor, self._key, self._now, self._reversed = parts, anchor, key, now, reverse
        self._counts = counts

    def _built(self, now) -> list:
        parts = list(self._parts(now))
        return [part.reverse() for part in reversed(parts)] if self._reversed else parts

    def _read(self, what: tuple, columns) -> list:
        """The anchor's one row of ``columns(parts)`` (name → expression): one
        integer array per column, read through a kept statement."""
        from .statements import cached_values

        def build(*, now):
            annotations = columns(self._built(now))
            return self._anchor().order_by().annotate(**annotations).values_list(*annotations)

        rows = cached_values((*self._key, "portal.pagination.ChainedIds", self._reversed, *what), build, now=self._now)
        if not rows:  # the anchor's row is gone (a reader deleted while signed in): nothing to show
            return [[0] * len(self._parts(self._now))] if what == ("counts",) else []
        return list(rows[0])

    def counts(self) -> list[int]:
        if self._counts is None:
            from django.db.models import F, Func, IntegerField, Subquery

            from .db import IntArray

            def counted(parts):
                count = Func(F("pk"), function="COUNT", output_field=IntegerField())
                return {"counts": IntArray(*(Subquery(part.order_by().values(n=count)) for part in parts))}

            (self._counts,) = self._read(("counts",), counted)
        return self._counts

    def total(self) -> int:
        return sum(self.counts())

    def reverse(self) -> "ChainedIds":
        return ChainedIds(self._parts, anchor=self._anchor, key=self._key, now=self._now, reverse=not self._reversed,
                          counts=list(reversed(self.counts())))

    def __getitem__(self, window: slice) -> list:
        if not isinstance(window, slice) or window.step not in (None, 1):
            raise TypeError("ChainedIds: only a slice of consecutive rows")
        start, stop = window.start or 0, window.stop
        windows = []  # (part, lo, hi) of each part the page overlaps
        before = 0  # rows of the parts already passed
        for i, count in enumerate(self.counts()):
            if stop is not None and stop <= before:
                break
            lo, hi = max(start - before, 0), count if stop is None else min(stop - before, count)
            if lo < hi:
                windows.append((i, lo, hi))
            before += count
        if not windows:
            return []
        from django.contrib.postgres.expressions import ArraySubquery

        def arrays(parts):
            return {f"part{i}": ArraySubquery(parts[i][lo:hi]) for i, lo, hi in windows}

        return [pk for array in self._read(("ids", tuple(windows)), arrays) for pk in array]


def readable_by_ids(qs) -> bool:
    """Whether ``qs``'s rows can be read again by their ids alone (``by_ids``):
    model instances, without DISTINCT, grouping or a union."""
    return (
        isinstance(qs, QuerySet)
        and qs._iterable_class is ModelIterable
        and not qs.query.distinct
        and qs.query.combinator is None
        and not qs.query.group_by
    )


def _deferrable(qs) -> bool:
    # page_rows also reverses the order past the middle: it needs one.
    return readable_by_ids(qs) and qs.ordered


def page_rows(qs, *, offset: int, limit: int, total: int, kept: tuple | None = None) -> list:
    """The rows ``offset .. offset+limit`` of ``qs`` in its order, in two steps.

    1. The page's primary keys alone, under the full filter and ordering:
       the database can answer from an index (``(window_end, id)`` for the
       deadline order) without reading the skipped rows. Past the middle the
       order is reversed and the offset counted from the end, so the last
       page costs what the first does (the count is known, the ordering ends
       in the unique id, so the mirror image is exact).
    2. Those rows with their joins and prefetches, looked up by primary key
       only: the visibility filter (thousands of ids) is not evaluated again.

    Two queries whatever the page, its size or the user's number of reviews.
    Querysets this cannot take (values(), DISTINCT, unions) are sliced as usual.

    With ``kept`` (a key naming the call site, the reader and whatever shapes
    ``qs``), the second statement is compiled once and kept
    (``portal.statements``): it has no filter but the ids, so only they change
    between pages and requests — building and compiling it cost 2–3 ms a page
    at bench scale (three array subqueries), running it about as much. A list
    that also names how to build its ids afresh (``page_ids_build``, called
    at the scoping clock's moment: reviews.selectors.review_list) has the
    first and the last page's ids kept too.
    """
    if limit <= 0 or offset >= total or not _deferrable(qs):
        return list(qs[offset : offset + limit])
    size, limit = limit, min(limit, total - offset)
    from_end = total - (offset + limit)
    # A list may name a cheaper source of its ids in the same order (reviews:
    # the reach index, see reviews.selectors.review_list).
    source = getattr(qs, "page_ids", None)
    if source is None:
        source = qs.values_list("pk", flat=True)
    build_ids = getattr(qs, "page_ids_build", None)
    if kept is not None and build_ids is not None and 0 in (offset, from_end):
        # The first or the last page (a dashboard, a list as it opens, its last
        # link) off a kept statement (compiled once per reader, order and page
        # size: ~0.7 ms a page at bench scale); others are rarer and compiled
        # each time, so paging through thousands fills no cache. Not prepared:
        # like the count, planned for this reader each time.
        from django.utils import timezone

        from .statements import cached_values

        # The first page asks for a page's worth whatever the count (one
        # statement however many the reader sees); the last for what is left.
        last = from_end < offset
        rows = limit if last else size
        ids = cached_values(
            ("portal.pagination.page_ids", *kept, last, rows),
            lambda *, now: (build_ids().reverse() if last else build_ids())[:rows], prepared=False, now=timezone.now(),
        )
        ids = ids[::-1] if last else ids[:limit]  # no more than the count allows, as the others
    elif from_end < offset:
        ids = list(source.reverse()[from_end : from_end + limit])
        ids.reverse()
    else:
        ids = list(source[offset : offset + limit])
    if not ids:
        return []
    rows_qs = by_ids(qs)
    if kept is not None:
        from .statements import cached_rows

        found = cached_rows(("portal.pagination.page_rows", *kept), lambda ids: rows_qs.filter(pk__any_of=ids), ids=ids)
    else:
        found = rows_qs.filter(pk__in=ids)
    rows = {row.pk: row for row in found}
    return [rows[pk] for pk in ids if pk in rows]


def by_ids(qs):
    """``qs``'s columns, joins, annotations and prefetches without its filter,
    order or limits, to be filtered by primary key (``pk__any_of``) once the
    ids are known: they were found under the filter a moment ago, which is not
    evaluated again. Only where ``readable_by_ids`` (a filter dropped from a
    grouped or DISTINCT queryset would change its rows)."""
    if not readable_by_ids(qs):
        raise TypeError("by_ids: a queryset of model instances without DISTINCT, grouping or a union")
    rows_qs = qs._chain()
    rows_qs.query.where = WhereNode()
    rows_qs.query.clear_ordering(force=True)
    rows_qs.query.clear_limits()
    return rows_qs
