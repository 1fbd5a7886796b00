"""Server time and query count of the main pages for each kind of user,
and the naive guardian list on the same data, through Django's test client
(in process: server time with templates, no network).

Each user's pages are measured interleaved with the floor (``bench/floor.py``:
the base layout with no content) and printed as a ratio to it too
(``<user>.<page>.vs_floor``; target ≤ 3×), with the process's CPU time
(``cpu_p50``, ``cpu_vs_floor``: a page whose own Python is over 3× the
floor's is over 3× whatever the database answers in). The review list is measured in every
order of ``reviews.selectors.SORTS`` (first and middle page) for the 20-,
500- and 20,000-review users and the program admin, with the database time
of each order's page-id statement (``<user>.sort_<order>_db``)."""

from __future__ import annotations

import json
import math
import statistics
import time

from .floor import emit_interleaved, measure_interleaved, percentile

RUNS = 30
WARMUP = 5
# Users whose review list is measured in every order (issue 23).
SORT_USERS = ("u20", "u500", "u20000", "admin")


def _measure(fn, runs=RUNS, warmup=WARMUP):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        fn()
    times = []
    queries = None
    for i in range(runs):
        if i == 0:
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t) * 1000)
            queries = len(ctx.captured_queries)
        else:
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), percentile(times, 95), queries


def run(emit) -> None:
    p95, cpu_ratios = {}, {}

    def record(name, value, unit):
        if name.endswith(".p95"):
            p95[name] = value
        elif name.endswith(".cpu_vs_floor"):
            cpu_ratios[name] = value
        emit(name, value, unit)

    ratios_to_floor = {}
    _run(record, ratios_to_floor)
    worst = max(ratios_to_floor, key=ratios_to_floor.get)
    emit("pages.worst_vs_floor", f"{round(ratios_to_floor[worst], 2)} ({worst})", "x")
    emit("pages.over_3x_floor", sum(1 for r in ratios_to_floor.values() if r > 3), f"of {len(ratios_to_floor)} pages")
    # Pages whose own Python (CPU p50) is already over 3x the floor's: over 3x
    # whatever the database answers in.
    emit("pages.over_3x_floor_cpu", sum(1 for r in cpu_ratios.values() if r > 3), f"of {len(cpu_ratios)} pages")
    # A reviewer's page against the admin's same page (target: ≤ 1.5×).
    for name, value in p95.items():
        key, page = name.split(".", 1)
        admin = p95.get(f"admin.{page}")
        if key != "admin" and admin and not page.startswith(("list_", "floor")):
            emit(f"{key}.{page.removesuffix('.p95')}.vs_admin", round(value / admin, 2), "x")


def _sort_name(sort: str) -> str:
    return sort[1:] + "_desc" if sort.startswith("-") else sort


def _db_time(sql, params, repeat: int = 5) -> float:
    """The best of ``repeat`` EXPLAIN ANALYZE execution times, in ms."""
    from django.db import connection

    best = None
    for _ in range(repeat):
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            raw = cursor.fetchone()[0]
        plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
        best = plan["Execution Time"] if best is None else min(best, plan["Execution Time"])
    return best


def _sort_database_times(emit, key, user, total) -> None:
    """Each order's page-id statement as the list runs it (first and middle page of 25)."""
    from reviews.selectors import SORTS, review_list

    # The page bench pages asks for as "middle", as portal.pagination.page_rows reads it.
    offset = (max(1, math.ceil(total / 25) // 2) - 1) * 25
    limit = min(25, total - offset)
    from_end = total - (offset + limit)
    for sort in SORTS:
        qs = review_list(user=user, sort=sort)
        ids = getattr(qs, "page_ids", None)
        if ids is None:
            ids = qs.values_list("pk", flat=True)
        first = _db_time(*ids[:25].query.sql_with_params())
        page = ids.reverse()[from_end : from_end + limit] if from_end < offset else ids[offset : offset + limit]
        mid = _db_time(*page.query.sql_with_params())
        emit(f"{key}.sort_{_sort_name(sort)}_db", round(first, 2), "ms")
        emit(f"{key}.sort_{_sort_name(sort)}_middle_db", round(mid, 2), "ms")


def _run(emit, ratios_to_floor) -> None:
    from guardian.shortcuts import get_objects_for_user

    from accounts.models import User
    from portal.pagination import page_rows
    from reviews.models import Review
    from reviews.selectors import SORTS, review_list
    from reviews.services import terms_accept

    from .people import signed_in

    users = {key: User.objects.select_related("membership").get(email=f"bench-{key}@bench.example") for key in ("u20", "u500", "u20000", "admin")}
    # One agency lead (their agency's reviews through the leads' group) and one
    # company liaison (their company's, through its group): every role's dashboard.
    seeded = User.objects.select_related("membership").filter(email__startswith="bench-user-").order_by("pk")
    users = {
        "lead": seeded.filter(membership__role="agency_lead").first(),
        "liaison": seeded.filter(membership__role="company_liaison").first(),
        **users,
    }
    clients = {key: signed_in(user) for key, user in users.items()}

    ratios = {}
    for key, user in users.items():
        client = clients[key]
        if user.is_program_admin:
            # As beat does every 5 minutes in a deployment (kept 10): the
            # office's figures are never counted by a visit. Without it, the
            # visit after they lapsed (one in a run, now and then) counted
            # them: a quarter of a second in the office's p95.
            from dashboard.tasks import refresh_office_figures

            refresh_office_figures.apply()
        visible = Review.objects.visible_to(user)
        total = visible.count()
        last_page = max(1, math.ceil(total / 25))
        review = visible.order_by("window_end", "id").first()
        if user.is_agency_lead or user.is_agency_reviewer:
            terms_accept(review=review, user=user)
        middle = max(1, last_page // 2)
        pages = {
            "dashboard": "/",
            "review_list": "/reviews/",
            "review_list_10": "/reviews/?per_page=10",
            "review_list_100": "/reviews/?per_page=100",
            "review_list_middle": f"/reviews/?page={middle}",
            "review_list_deep": f"/reviews/?page={last_page}",
            "review_detail": f"/reviews/{review.pk}/",
            "review_documents": f"/reviews/{review.pk}/documents/",
        }
        if user.is_company_liaison or user.is_program_admin:
            pages["model_list"] = "/models/"
        if key in SORT_USERS:
            for sort in SORTS:
                if sort == "deadline":
                    continue  # review_list, review_list_middle
                pages[f"sort_{_sort_name(sort)}"] = f"/reviews/?sort={sort}"
                pages[f"sort_{_sort_name(sort)}_middle"] = f"/reviews/?sort={sort}&page={middle}"
        emit(f"{key}.visible_reviews", total, "reviews")
        result = measure_interleaved(client, pages, rounds=RUNS)
        emit_interleaved(emit, key, result)
        ratios_to_floor.update({f"{key}.{name}": result.ratio(name) for name in pages})
        if key in SORT_USERS:
            _sort_database_times(emit, key, user, total)

        def portal_list(user=user):
            # What the list page does: count from the grants, then the page (ids, rows).
            qs = review_list(user=user)
            count = getattr(qs, "known_count", None)
            count = qs.count() if count is None else (count() if callable(count) else count)
            return page_rows(qs, offset=0, limit=25, total=count), count

        def naive_list(user=user):
            qs = get_objects_for_user(user, "reviews.view_review", klass=Review, accept_global_perms=False)
            rows = list(qs.order_by("window_end", "id")[:25])
            return rows, qs.count()

        if not user.is_program_admin:
            from django.db import connection

            # The permission filter as the list runs it: the count and the
            # page's ids off the reach index (first and last page), in the database.
            qs = review_list(user=user)
            statements = {
                "count": qs.known_count.statement,
                "first_page_ids": qs.page_ids[:25].query.sql_with_params(),
                "last_page_ids": qs.page_ids.reverse()[:25].query.sql_with_params(),
            }
            total_db = 0.0
            for label, (sql, params) in statements.items():
                best = None
                for _ in range(5):
                    with connection.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                        raw = cursor.fetchone()[0]
                    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
                    best = plan["Execution Time"] if best is None else min(best, plan["Execution Time"])
                emit(f"{key}.permission_{label}_db", round(best, 2), "ms")
                total_db += best if label != "last_page_ids" else 0
            emit(f"{key}.permission_filter_db", round(total_db, 2), "ms")
            assert [r.pk for r in portal_list()[0]] == [r.pk for r in naive_list()[0]], "portal and naive lists differ"
            assert portal_list()[1] == naive_list()[1]
            p_portal = _measure(portal_list)[1]
            p_naive = _measure(naive_list, runs=15, warmup=2)[1]
            emit(f"{key}.list_portal.p95", round(p_portal, 1), "ms")
            emit(f"{key}.list_naive_guardian.p95", round(p_naive, 1), "ms")
            ratios[key] = p_naive / p_portal
            emit(f"{key}.naive_over_portal", round(ratios[key], 1), "x")
