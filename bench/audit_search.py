"""``python -m bench audit-search``: the program office's trail searched at a
million events (``audit.selectors.audit_event_list`` with ``q``, as the
trail's page reads it: the count and the first page of 50).

Inside a transaction that is rolled back (the bench database keeps nothing;
the table is vacuumed afterwards), a million events are written in one
statement — views, downloads, searches (their words in the details),
answers, submissions, of 5,000 people — and the table analysed. Printed: the
time the million took to write (the trail's indexes maintained, its
trigram index included), and per query the events found and the time of the
count and first page (best and median of 5): a search's words found in
one event in 5,000, an actor's address, words in none, and words in every
event (a count of the whole table: what no index can shorten); and, for
comparison, the trail unfiltered (counted from the chain head) and filtered
by its Actor and Action fields.
"""

from __future__ import annotations

import statistics
import time

EVENTS = 1_000_000
RUNS = 5
QUERIES = {
    "search_words": {"q": "word1237 telemetry"},  # the words of one search in 5,000 (the details of "search.run")
    "actor": {"q": "user4999@"},
    "nothing": {"q": "zzzz nothing"},
    "everywhere": {"q": "system card"},
    # The trail's other fields, for comparison (not read through the index).
    "unfiltered": {},
    "actor_field": {"actor": "user4999@"},
    "action_field": {"action": "rfi."},
}


class _Undo(Exception):
    pass


def _write(cursor) -> int:
    cursor.execute(
        """
        INSERT INTO audit_auditevent (at, action, actor_label, actor_organisation, target_type, target_id, target_label,
                                      review_id, client_address, request_id, payload, prev_hash, hash)
        SELECT now() - n * interval '1 second',
               (ARRAY['document.view', 'document.download', 'search.run', 'rfi.answer', 'review.submit'])[1 + n %% 5],
               'user' || (n %% 5000) || '@agency.example', 'NSA', 'document', (n %% 300000)::text,
               'Document ' || (n %% 300000) || ' system card', n %% 100000, '10.0.0.1', md5(n::text),
               CASE WHEN n %% 5 = 2 THEN jsonb_build_object('searched_for', 'word' || (n %% 5000) || ' telemetry',
                                                           'found', jsonb_build_object('documents', '3'))
                    ELSE jsonb_build_object('version', n %% 5) END,
               md5((n - 1)::text) || md5((n - 1)::text), md5(n::text) || md5((n + 7)::text)
        FROM generate_series(1, %s) AS g(n)
        """,
        [EVENTS],
    )
    return cursor.rowcount


def run(emit) -> None:
    from django.db import connection, transaction
    from django.test import RequestFactory

    from portal.pagination import paginate

    from accounts.models import User
    from audit.selectors import audit_event_list

    office = User.objects.get(email="bench-admin@bench.example")
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                started = time.perf_counter()
                written = _write(cursor)
                # As every append does, under the head's lock: the whole trail is counted from it.
                cursor.execute("UPDATE audit_audithead SET events = events + %s WHERE id = 1", [written])
                emit("audit_search.events", written, "events")
                emit("audit_search.write_seconds", round(time.perf_counter() - started, 1), "s")
                cursor.execute("ANALYZE audit_auditevent")
            for label, filters in QUERIES.items():
                samples, found = [], 0
                for _ in range(RUNS):
                    started = time.perf_counter()
                    # As the trail's page reads it (audit.views: the first page of 50).
                    page = paginate(RequestFactory().get("/audit/"), audit_event_list(user=office, **filters), default=50)
                    found = page.paginator.count
                    list(page.object_list)
                    samples.append((time.perf_counter() - started) * 1000)
                emit(f"audit_search.{label}.found", found, "events")
                emit(f"audit_search.{label}.best", round(min(samples), 1), "ms")
                emit(f"audit_search.{label}.p50", round(statistics.median(samples), 1), "ms")
            raise _Undo
    except _Undo:
        pass
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) audit_auditevent")
