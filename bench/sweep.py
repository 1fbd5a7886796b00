"""One reminder sweep with every review's deadline due, and one with none due.

Runs inside a transaction that is rolled back at the end, so the seeded
data set is unchanged for the other scenarios.
"""

from __future__ import annotations

import resource
import time


def run(emit) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from reminders.models import Reminder
    from reminders.services import reminder_sweep

    with transaction.atomic():
        with connection.cursor() as cur:
            # Every review ended 5 days and 3 hours (and a few minutes) ago and is still open:
            # the "not closed 5 days after" escalation to program admins is due
            # for each, and only it (the earlier rules are past the catch-up horizon).
            cur.execute(
                "UPDATE reviews_review SET window_end = now() - interval '5 days 3 hours' - (id % 600) * interval '1 second', "
                "window_start = now() - interval '35 days' WHERE status = 'in_review'"
            )
            # The seeded RFIs stay open but fall due in 100 days: the 100,000
            # due deadlines are the reviews' (RFIs have their own rules).
            cur.execute("UPDATE rfis_informationrequest SET due_at = now() + interval '100 days' WHERE status = 'open'")
            cur.execute("ANALYZE rfis_informationrequest")
            cur.execute("SELECT count(*) FROM reviews_review WHERE status = 'in_review'")
            due = cur.fetchone()[0]
            cur.execute("ANALYZE reviews_review")
        emit("sweep.due_deadlines", due, "reviews")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            created = reminder_sweep(now=timezone.now())
            seconds = time.perf_counter() - t
        emit("sweep.all_due.seconds", round(seconds, 2), "s")
        emit("sweep.all_due.queries", len(ctx.captured_queries), "queries")
        emit("sweep.all_due.recorded", sum(created.values()), "reminders")
        # Peak resident memory of the whole process (Django, the data set's
        # occurrences, the batch in flight); tracemalloc would halve the speed.
        emit("sweep.process_peak_rss", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "MiB")
        emit("sweep.rss_before_sweep", round(rss_before / 1024, 1), "MiB")
        assert Reminder.objects.count() == sum(created.values())

        with connection.cursor() as cur:
            cur.execute("UPDATE reviews_review SET window_end = now() + interval '100 days' WHERE status = 'in_review'")
            cur.execute("UPDATE reviews_assignment SET status = 'accepted' WHERE status = 'invited'")
            cur.execute("ANALYZE reviews_review")
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            created = reminder_sweep(now=timezone.now())
            seconds = time.perf_counter() - t
        emit("sweep.none_due.seconds", round(seconds, 3), "s")
        emit("sweep.none_due.queries", len(ctx.captured_queries), "queries")
        emit("sweep.none_due.recorded", sum(created.values()), "reminders")
        transaction.set_rollback(True)
    # The rolled-back updates (100,000 deadlines, their reach and assignment
    # copies) leave dead rows that hide the visibility map from index-only
    # scans until autovacuum passes: settle them so later scenarios measure
    # the data set, not this one's leftovers.
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
