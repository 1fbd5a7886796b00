"""``python -m bench saved-searches``: what saved-search alerts cost at scale.

Inside a transaction that is rolled back (the bench database keeps nothing),
one row in ``RECENT_ONE_IN`` of each kind made an hour old (the seeded
material is all older than the alert window):

* one check (``saved_search_check``) per user size and query shape of ``bench
  search``, 20 times each, every time with nothing noted as reported, so each
  check finds its window's matches new and tells them (the notification, its
  e-mail in the outbox and the audit event included: the dearest path);
  p50/p95 and how many matches the window held;
* saving a search (``saved_search_create``, which runs the window search once
  to note what is already there), p50 per user size;
* a due backlog: ``READERS`` readers with ``PER_READER`` saved searches each, all due, checked by one run of
  ``saved_searches_check`` as the beat's task would (its time budget lifted):
  seconds, checks a second, alerts, peak memory growth. With checks every 15
  minutes, checks a second × 900 is how many alerting searches one worker
  keeps up with.
"""

from __future__ import annotations

import resource
import statistics
import time
from datetime import timedelta

from .floor import percentile

USERS = ("u20", "u500", "u20000", "admin")
RUNS = 20
READERS = 200
PER_READER = 5


# One row in this many of each kind is made an hour old, so alert windows hold new matches
# (the seeded material is all older than a day). A prime: the seed lays rows out in
# multiples of 10 and 100, and every hundredth question fell on reviews the big reader does not see.
RECENT_ONE_IN = 97


class _Undo(Exception):
    pass


def _tables() -> list[str]:
    """The tables of the kinds a saved search finds (made recent, then vacuumed)."""
    from documents.models import Document
    from findings.models import Finding
    from reviews.models import Review
    from rfis.models import InformationRequest

    return [model._meta.db_table for model in (Review, Document, InformationRequest, Finding)]


def _recent(emit, now) -> None:
    from django.db import connection

    made = 0
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(
                f'UPDATE "{table}" SET created_at = %s WHERE id %% %s = 0',  # noqa: S608 — table names from the models
                [now - timedelta(hours=1), RECENT_ONE_IN],
            )
            made += cursor.rowcount
    emit("recent_rows", made, "rows")


def _checks(emit, now) -> None:
    from accounts.models import User
    from search import services
    from search.models import SavedSearch

    from .search import queries

    for key in USERS:
        user = User.objects.get(email=f"bench-{key}@bench.example")
        saves = []
        for label, text in queries().items():
            started = time.perf_counter()
            saved, _ = services.saved_search_create(owner=user, text=text, params="", alert=True, now=now)
            saves.append((time.perf_counter() - started) * 1000)
            held = len(saved.reported)
            samples = []
            for _ in range(RUNS):
                SavedSearch.objects.filter(pk=saved.pk).update(checked_at=now - timedelta(minutes=20), reported=[])
                started = time.perf_counter()
                told = services.saved_search_check(saved_search_id=saved.pk, now=now)
                samples.append((time.perf_counter() - started) * 1000)
                assert told == (1 if held else 0), (key, label, told, held)
            emit(f"{key}.check_{label}.p50", round(statistics.median(samples), 1), "ms")
            emit(f"{key}.check_{label}.p95", round(percentile(samples, 95), 1), "ms")
            emit(f"{key}.check_{label}.window_matches", held, "matches")
        emit(f"{key}.save.p50", round(statistics.median(saves), 1), "ms")


def _backlog(emit, now) -> None:
    from accounts.models import User
    from search import services
    from search.models import SavedSearch

    from .search import queries
    from .seed import TAIL_WORDS

    words = [*queries().values(), *TAIL_WORDS[:200]]
    from reviews.models import ReviewReach

    # Readers on at least one review (many seeded accounts are on none), every 10th of them.
    on_reviews = ReviewReach.objects.values("user_id").distinct()
    readers = list(User.objects.filter(is_active=True, pk__in=on_reviews).order_by("id"))[::10][:READERS]
    SavedSearch.objects.bulk_create(
        SavedSearch(owner=reader, text=words[(n * PER_READER + k) % len(words)], params="", alert=True,
                    created_at=now - timedelta(days=1), checked_at=now - timedelta(minutes=20), reported=[])
        for n, reader in enumerate(readers) for k in range(PER_READER)
    )
    due = SavedSearch.objects.filter(checked_at__lte=now - services.CHECK_EVERY).count()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    told = services.saved_searches_check(now=now, budget=timedelta(hours=1))
    seconds = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    emit("backlog.readers", len(readers), "readers")
    emit("backlog.due", due, "saved searches")
    emit("backlog.seconds", round(seconds, 2), "s")
    emit("backlog.checks_per_second", round(due / seconds, 1), "checks/s")
    emit("backlog.alerts", told, "alerts")
    emit("backlog.kept_up_with_per_worker", round(due / seconds * services.CHECK_EVERY.total_seconds()), "alerting saved searches")
    emit("backlog.peak_memory_growth", round(grown / 1024, 1), "MiB")
    assert SavedSearch.objects.filter(checked_at__lte=now - services.CHECK_EVERY).count() == 0


def run(emit) -> None:
    from django.db import transaction
    from django.utils import timezone

    try:
        with transaction.atomic():
            now = timezone.now()
            _recent(emit, now)
            _checks(emit, now)
            _backlog(emit, now)
            raise _Undo
    except _Undo:
        pass
    _vacuum()


def _vacuum() -> None:
    """The rolled-back updates of ``_recent`` leave a dead row version on
    nearly every page of four large tables, and those pages no longer marked
    all-visible: index-only scans fetch from the heap again (the office's
    middle review-list pages took 5–6× the floor in the ``bench pages`` run
    after this scenario, against under 3× before). Too few dead rows for
    autovacuum to come: vacuumed here."""
    from django.db import connection

    from reviews.models import ReviewReach

    with connection.cursor() as cursor:
        # The reach rows too: they copy a review's creation moment (a trigger), so the
        # reviews' rolled-back updates left a dead version of ~20,000 of them (the
        # 20,000-review reader's agency-filtered search: 15 -> 25 ms in the database after).
        for table in [*_tables(), ReviewReach._meta.db_table]:
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
