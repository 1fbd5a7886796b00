"""Server time and query count of the main pages for each kind of user,
and the naive guardian list on the same data, through Django's test client
(in process: server time with templates, no network)."""

from __future__ import annotations

import json
import math
import statistics
import time

RUNS = 30
WARMUP = 5


def _percentile(values, p):
    ordered = sorted(values)
    k = max(0, math.ceil(p / 100 * len(ordered)) - 1)
    return ordered[k]


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
    return statistics.median(times), _percentile(times, 95), queries


def run(emit) -> None:
    p95 = {}

    def record(name, value, unit):
        if name.endswith(".p95"):
            p95[name] = value
        emit(name, value, unit)

    _run(record)
    # A reviewer's page against the admin's same page (target: ≤ 1.5×).
    for name, value in p95.items():
        key, page = name.split(".", 1)
        admin = p95.get(f"admin.{page}")
        if key != "admin" and admin and not page.startswith("list_"):
            emit(f"{key}.{page.removesuffix('.p95')}.vs_admin", round(value / admin, 2), "x")


def _run(emit) -> None:
    from guardian.shortcuts import get_objects_for_user

    from accounts.models import User
    from portal.pagination import page_rows
    from reviews.models import Review
    from reviews.selectors import review_list
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
        visible = Review.objects.visible_to(user)
        total = visible.count()
        last_page = max(1, math.ceil(total / 25))
        review = visible.order_by("window_end", "id").first()
        if user.is_agency_lead or user.is_agency_reviewer:
            terms_accept(review=review, user=user)
        pages = {
            "dashboard": "/",
            "review_list": "/reviews/",
            "review_list_10": "/reviews/?per_page=10",
            "review_list_100": "/reviews/?per_page=100",
            "review_list_middle": f"/reviews/?page={max(1, last_page // 2)}",
            "review_list_deep": f"/reviews/?page={last_page}",
            "review_detail": f"/reviews/{review.pk}/",
            "review_documents": f"/reviews/{review.pk}/documents/",
        }
        emit(f"{key}.visible_reviews", total, "reviews")
        for name, url in pages.items():
            def get(url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            p50, p95, queries = _measure(get)
            emit(f"{key}.{name}.p50", round(p50, 1), "ms")
            emit(f"{key}.{name}.p95", round(p95, 1), "ms")
            emit(f"{key}.{name}.queries", queries, "queries")

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
            count_sql, count_params = qs.known_count.__self__.query.get_compiler("default").as_sql()
            statements = {
                "count": ("SELECT count(*) FROM (" + count_sql + ") c", count_params),
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
