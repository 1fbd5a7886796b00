"""``python -m bench search-fold``: a backlog of search records (a worker
stopped for a while) folded into the audit trail, in batches and at once.

Readers each typed runs of searches (ten requests two seconds apart, a
minute between runs) hours ago, and no fold ran. Inside a transaction that
is rolled back (the bench database keeps nothing), ``search_records_fold``
folds them as the worker would (5,000 records a transaction), and then the
same backlog again with every record in one batch. Prints the events
written, the time, events a second, and the process's peak memory growth
(``ru_maxrss``, in that order: a peak only grows, so the batched run goes
first).
"""

from __future__ import annotations

import resource
import time

READERS = 200
RUNS = 50  # per reader
PER_RUN = 10  # requests per run


class _Undo(Exception):
    pass


def _backlog(cursor, now) -> int:
    # Only this backlog: the records other bench runs' searches left are set aside (rolled back with the rest).
    cursor.execute("DELETE FROM search_searchrecord")
    cursor.execute(
        """
        INSERT INTO search_searchrecord (at, user_id, actor_label, actor_organisation, via, text, filters, found, client_address, request_id)
        SELECT %s - interval '6 hours' + r.n * interval '1 minute' + k.n * interval '2 seconds',
               u.id, u.email, '', 'page', left('backlog search ' || r.n, 7 + k.n), '{}'::jsonb,
               '{"documents": "3"}'::jsonb, '10.0.0.1', ''
        FROM (SELECT id, email FROM accounts_user ORDER BY id LIMIT %s) AS u
        CROSS JOIN generate_series(1, %s) AS r(n) CROSS JOIN generate_series(1, %s) AS k(n)
        """,
        [now, READERS, RUNS, PER_RUN],
    )
    return cursor.rowcount


def _fold(emit, label: str, rows_at_once: int | None) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from search.services import search_records_fold

    try:
        with transaction.atomic():
            now = timezone.now()
            with connection.cursor() as cursor:
                records = _backlog(cursor, now)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            written = search_records_fold(now=now, rows_at_once=rows_at_once or records)
            seconds = time.perf_counter() - started
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
            emit(f"search_fold.{label}.records", records, "rows")
            emit(f"search_fold.{label}.events", written, "events")
            emit(f"search_fold.{label}.seconds", round(seconds, 2), "s")
            emit(f"search_fold.{label}.events_per_second", round(written / seconds), "events/s")
            emit(f"search_fold.{label}.peak_memory_growth", round(grown / 1024, 1), "MiB")
            raise _Undo
    except _Undo:
        pass


def run(emit) -> None:
    _fold(emit, "batched", 5000)
    _fold(emit, "at_once", None)
