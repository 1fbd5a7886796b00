"""The permission filter's plan: index access only, never a sequential scan of
the review or grant tables (on a seeded set of a few thousand reviews)."""

import json

import pytest
from django.db import connection

from accounts.models import User
from bench.seed import seed
from reviews.querysets import review_ids_sql
from reviews.selectors import review_list

pytestmark = pytest.mark.django_db

WATCHED = {
    "reviews_review",
    "reviews_reviewuserobjectpermission",
    "reviews_reviewgroupobjectpermission",
    "reviews_reviewreach",
}
USERS = ("u20", "u500", "u20000")


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _explain(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    return list(_nodes(plan))


@pytest.fixture(scope="module")
def seeded(module_rollback):
    """The bench's seeded set at a tenth of its size, built once for the module."""
    with connection.cursor() as cursor:
        result = seed(cursor, scale=0.1, log=lambda m: None)
        cursor.execute("ANALYZE")
    return result


def _seq_scans(nodes):
    return [n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in WATCHED]


def test_permission_filter_and_page_use_indexes_only(db, seeded):
    expected_counts = {"u20": 20, "u500": 500, "u20000": min(20000, seeded["sizes"].reviews)}
    for who in USERS:
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        # The grants themselves (what the reach rows are derived from).
        sql, params = review_ids_sql(user, "view_review")
        nodes = _explain(sql, params)
        assert not _seq_scans(nodes), (who, "grants", _seq_scans(nodes))

        qs = review_list(user=user)
        # The count and every page's ids come from the reach index alone.
        assert qs.known_count() == expected_counts[who]
        count_sql, count_params = qs.known_count.__self__.query.get_compiler("default").as_sql()
        for label, (sql, params) in {
            "count": ("SELECT count(*) FROM (" + count_sql + ") c", count_params),
            "first page ids": qs.page_ids[:25].query.sql_with_params(),
            "last page ids": qs.page_ids.reverse()[:25].query.sql_with_params(),
        }.items():
            nodes = _explain(sql, params)
            assert not _seq_scans(nodes), (who, label, _seq_scans(nodes))
            assert {n.get("Index Name") for n in nodes} & {"review_reach_deadline_idx", "review_reach_unique"}, (who, label)
            assert "reviews_review" not in {n.get("Relation Name") for n in nodes}, (who, label, "touches reviews")


def test_detail_lookup_touches_only_the_asked_review(db, seeded):
    user = User.objects.select_related("membership").get(pk=seeded["specials"]["u20000"])
    sql, params = review_ids_sql(user, "view_review", among=[12345])
    nodes = _explain(sql, params)
    assert not _seq_scans(nodes)
    # Both branches look the one review up by index instead of reading 20,000 grants.
    assert all(n.get("Plan Rows", 0) <= 5 for n in nodes if n["Node Type"] in ("Index Only Scan", "Index Scan"))
