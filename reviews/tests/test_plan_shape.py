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

WATCHED = {"reviews_review", "reviews_reviewuserobjectpermission", "reviews_reviewgroupobjectpermission"}
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


@pytest.fixture
def seeded(django_db_blocker):
    with connection.cursor() as cursor:
        result = seed(cursor, scale=0.1, log=lambda m: None)
        cursor.execute("ANALYZE")
    return result


def _seq_scans(nodes):
    return [n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in WATCHED]


def test_permission_filter_and_page_use_indexes_only(seeded):
    expected_counts = {"u20": 20, "u500": 500, "u20000": min(20000, seeded["sizes"].reviews)}
    for who in USERS:
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        sql, params = review_ids_sql(user, "view_review")
        nodes = _explain(sql, params)
        assert not _seq_scans(nodes), (who, "permission filter", _seq_scans(nodes))
        assert any(n["Node Type"] in ("Index Only Scan", "Index Scan", "Bitmap Index Scan") for n in nodes)

        qs = review_list(user=user)
        assert qs.known_count == expected_counts[who]
        # The first page by deadline walks the deadline index (or looks the ids up);
        # deep pages are a benchmark matter (bench pages), not a plan rule.
        sql, params = qs[:25].query.sql_with_params()
        assert not _seq_scans(_explain(sql, params)), (who, "first page", _seq_scans(_explain(sql, params)))


def test_detail_lookup_touches_only_the_asked_review(seeded):
    user = User.objects.select_related("membership").get(pk=seeded["specials"]["u20000"])
    sql, params = review_ids_sql(user, "view_review", among=[12345])
    nodes = _explain(sql, params)
    assert not _seq_scans(nodes)
    # Both branches look the one review up by index instead of reading 20,000 grants.
    assert all(n.get("Plan Rows", 0) <= 5 for n in nodes if n["Node Type"] in ("Index Only Scan", "Index Scan"))
