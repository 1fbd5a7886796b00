"""Where a search starts walking: from the user's scope, or from the matches.

A search of one kind asks for the first ``CAP + 1`` rows that are both in
the user's scope and match the words. PostgreSQL can walk either side and
stop once it has enough: the user's reviews (checking each row's vector) or
the GIN index's matches (checking each row's scope). Which is cheaper
depends on two sizes the planner misjudges: how many rows the words match
(its tsvector statistics are coarse; it took a word in 1.6 % of 300,000 texts
for 0.5 %) and how the scope is reached (it walks the terms acceptances of a
user who sees 20,000 reviews, 150–900 ms at agency scale: bench/search.py).

So the choice is made here, on sizes that are known:

* a user who sees few reviews (``S`` with ``3·S² < 2·(CAP+1)·R``, ``R`` the
  number of reviews — about 2,600 of 100,000): the scoped query as written;
  the planner walks the user's reviews, a bounded amount of work;
* anyone else (the program office, a lead on thousands of reviews): the
  matches are read off the GIN index in batches, unscoped and unordered, the
  ones on a review the user reaches are kept (a set in memory, read once per
  search), and only those ids go through the scoped query. Every result
  still comes out of the model's ``visible_to(user)`` and the terms,
  certificate, scan and sharing rules: the reach set only decides which ids
  are worth asking about.

The walk stops when the scoped query confirms ``CAP + 1`` ids or the matches
run out; past ``LAST_BATCH`` unconfirmed matches it hands back to the scoped
query (rare: words common everywhere except in the user's reviews).
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

LAST_BATCH = 20_000
FIRST_BATCH_MIN = 200


@dataclass(frozen=True)
class Reach:
    """The reviews whose material a search walking the matches keeps
    (``None``: every review — the program office) and the first batch size."""

    review_ids: frozenset[int] | None
    first_batch: int

    def keeps(self, review_id: int) -> bool:
        return self.review_ids is None or review_id in self.review_ids


@dataclass(frozen=True)
class UserReach:
    """The reviews a user sees right now (unexpired reach rows), about how
    many reviews there are (the planner's estimate), and the set's
    fingerprint (``_FINGERPRINT``: equal fingerprints, equal sets)."""

    review_ids: frozenset[int]
    reviews: float
    fingerprint: tuple = ()


# The fingerprint of a user's unexpired reach rows: how many, the sum of the
# review ids and the sum of a 64-bit hash of each (PostgreSQL's own, seeded).
# Two different sets share all three only by a 64-bit accident. Read at the
# statement's now(), so an expiry changes it like a revocation does.
#
# Read with the ids, it is summed from the rows being read (_OF_ROWS). Checked
# against a kept set, it is summed without reading them (_FINGERPRINT): the
# reach triggers keep the sums of a user's rows without expiry (ReachDelta:
# migration 0031), to which the live sums of the unexpired expiring rows are
# added — summing all 20,000 rows of a large user took 2 ms at bench scale.
# The two are equal while the triggers keep the sums (search/tests/
# test_reach_kept.py); were they ever to drift, a kept set would only stop
# matching and be read afresh each time.
_OF_ROWS = "count(*), coalesce(sum(review_id), 0), coalesce(sum(hashint8extended(review_id, 7331)), 0)"
_ROWS = "FROM reviews_reviewreach WHERE user_id = %(user)s AND (expires_at IS NULL OR expires_at > now())"
_FINGERPRINT = (
    "SELECT kept.n + live.n, kept.ids + live.ids, kept.hashes + live.hashes FROM"
    " (SELECT coalesce(sum(delta), 0) AS n, coalesce(sum(id_sum), 0) AS ids, coalesce(sum(hash_sum), 0) AS hashes"
    "  FROM reviews_reachdelta WHERE user_id = %(user)s) kept,"
    " (SELECT count(*) AS n, coalesce(sum(review_id), 0) AS ids,"
    "  coalesce(sum(hashint8extended(review_id, 7331)::numeric), 0) AS hashes"
    "  FROM reviews_reviewreach WHERE user_id = %(user)s AND expires_at IS NOT NULL AND expires_at > now()) live"
)
_REVIEWS = "(SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = 'reviews_review'::regclass)"

# The reach sets kept per process, by user: only sets of at least KEPT_MIN
# reviews (a smaller one costs less to read than to check), at most KEPT_IDS
# ids in all (about 55 bytes each in a frozenset), least recently used dropped.
KEPT_MIN = 1_000
KEPT_IDS = 200_000
_kept: OrderedDict[int, tuple[tuple, frozenset[int]]] = OrderedDict()
_kept_lock = threading.Lock()


def user_reach(user) -> UserReach | None:
    """``user``'s reach, read once per request (kept on the user object, which
    a request owns); None for the program office and off PostgreSQL.

    A user who sees 20,000 reviews had the ids read out on every search
    (~5 ms at bench scale: the rows, 120 kB of text, its parsing). Their set
    is kept per process with its fingerprint, and a later search reads only
    the fingerprint of the rows as they are now (``_FINGERPRINT``: the kept
    sums and the expiring rows'; ~0.5 ms, where summing every row took 2): the same, the kept
    set is theirs; otherwise, and for a set not kept, the ids and the
    fingerprint are read together, in one statement, so a set is only ever
    kept under its own fingerprint (a grant committed between two reads
    cannot leave the other read's set under it)."""
    from reviews.querysets import uses_reach

    if not uses_reach() or getattr(user, "is_program_admin", False):
        return None
    if (memo := getattr(user, "_search_reach", None)) is not None:
        return memo
    with _kept_lock:
        kept = _kept.get(user.pk)
    with connection.cursor() as cursor:
        if kept is not None:
            cursor.execute(f"SELECT f.*, {_REVIEWS} FROM ({_FINGERPRINT}) f", {"user": user.pk})
            *fingerprint, reviews = cursor.fetchone()
            if tuple(fingerprint) == kept[0]:
                with _kept_lock:
                    if user.pk in _kept:
                        _kept.move_to_end(user.pk)
                return _remember(user, kept[1], reviews, kept[0])
        cursor.execute(f"SELECT string_agg(review_id::text, ','), {_OF_ROWS}, {_REVIEWS} {_ROWS}", {"user": user.pk})
        csv, *fingerprint, reviews = cursor.fetchone()
    ids = frozenset(json.loads(f"[{csv}]")) if csv else frozenset()  # parsed in C: 20,000 ids in ~1 ms less than int() each
    fingerprint = tuple(fingerprint)
    _keep(user.pk, fingerprint, ids)
    return _remember(user, ids, reviews, fingerprint)


def _remember(user, ids: frozenset[int], reviews, fingerprint: tuple) -> UserReach:
    user._search_reach = UserReach(ids, max(float(reviews or 1), float(len(ids) or 1)), fingerprint)
    return user._search_reach


def _keep(user_id: int, fingerprint: tuple, ids: frozenset[int]) -> None:
    with _kept_lock:
        _kept.pop(user_id, None)
        if len(ids) < KEPT_MIN or len(ids) > KEPT_IDS:
            return
        _kept[user_id] = (fingerprint, ids)
        total = sum(len(entry[1]) for entry in _kept.values())
        while total > KEPT_IDS:
            _, (_, dropped) = _kept.popitem(last=False)
            total -= len(dropped)


def kept_clear() -> None:
    """Forget every kept reach set (tests)."""
    with _kept_lock:
        _kept.clear()


def reach_for_matches(user, *, cap: int) -> Reach | None:
    """How ``user``'s search walks: ``None`` for the scoped query as written,
    else a ``Reach`` to walk the matches with (``user_reach``: one statement,
    none for the program office)."""
    from reviews.querysets import uses_reach

    if not uses_reach():
        return None
    if getattr(user, "is_program_admin", False):
        return Reach(None, FIRST_BATCH_MIN)
    reach = user_reach(user)
    seen = len(reach.review_ids)
    if not seen or not walks_matches(seen, reach.reviews, cap=cap):
        return None
    share = seen / reach.reviews
    # Twice the matches the share of them in scope would need (some fall to the
    # terms, scan or sharing rules): most searches take one batch; a short one
    # grows fourfold.
    first = min(LAST_BATCH, max(FIRST_BATCH_MIN, math.ceil(2 * (cap + 1) / share)))
    return Reach(reach.review_ids, first)


def walks_matches(seen: int, reviews: float, *, cap: int) -> bool:
    """Walking the scope reads about ``3·seen`` rows; walking the matches about
    ``(cap + 1) · reviews / seen`` before enough fall in scope (twice that, to
    be safe): the matches win once ``3·seen² ≥ 2·(cap + 1)·reviews``."""
    return 3 * seen * seen >= 2 * (cap + 1) * reviews


def walk(candidates: Callable[[int], list], confirm: Callable[[list[int], set[int], int], list], reach: Reach, *, cap: int) -> list[int] | None:
    """Ids ``confirm`` keeps among the matches, at most ``cap + 1``.

    ``candidates(size)``: ``(id, review_id)`` rows of the first ``size``
    matches, unordered and unscoped; ``confirm(ids, review_ids, limit)``: at
    most ``limit`` of those ids the scoped query keeps (its ``visible_to(user,
    among=review_ids)``: the grants of those reviews only, and a statement that
    starts from the ids). ``None`` when the walk gave up (the caller asks the
    scoped query).
    """
    size = reach.first_batch
    while True:
        rows = candidates(size)
        kept = [(pk, review_id) for pk, review_id in rows if reach.keeps(review_id)]
        found = list(confirm([pk for pk, _ in kept], {r for _, r in kept}, cap + 1)) if kept else []
        if len(found) > cap or len(rows) < size:
            return found
        if size >= LAST_BATCH:
            return None
        size = min(LAST_BATCH, size * 4)
