"""The document search's plans on a seeded set (bench.seed at scale 0.1: 30,000
documents with text): the text match comes from its GIN index, and neither
it nor the title match reads a table of documents, versions or texts
sequentially (the title match may start from the user's scope instead)."""

import json

import pytest
from django.db import connection

from accounts.models import User
from bench.seed import TAIL_WORDS, seed
from search.query import parse
from search.selectors import document_branches

pytestmark = pytest.mark.django_db

WATCHED = {"documents_document", "documents_documentversion", "documents_documenttext"}


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.fixture
def seeded(django_db_blocker):
    with connection.cursor() as cursor:
        result = seed(cursor, scale=0.1, log=lambda m: None)
        cursor.execute("ANALYZE")
    return result


def test_document_search_uses_the_gin_indexes_and_no_sequential_scan(seeded):
    words = (TAIL_WORDS[1500], f"{TAIL_WORDS[1400]} {TAIL_WORDS[1700]}", f'"{TAIL_WORDS[1200]} {TAIL_WORDS[1300]}"', TAIL_WORDS[1600][:4] + "*")
    sequential, without_gin = [], []
    for who in ("u500", "u20000"):
        user = User.objects.select_related("membership").get(pk=seeded["specials"][who])
        for text in words:
            for label, branch in zip(("title", "text"), document_branches(user, parse(text))[:2]):
                sql, params = branch.values_list("pk", flat=True).distinct()[:1001].query.sql_with_params()
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
                    raw = cursor.fetchone()[0]
                nodes = list(_nodes((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]))
                sequential += [(who, text, label, n["Relation Name"]) for n in nodes
                               if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in WATCHED]
                # The user who sees every review of this set: the text match starts from the GIN index.
                if who == "u20000" and label == "text" and "documenttext_vector_idx" not in {n.get("Index Name") for n in nodes}:
                    without_gin.append((who, text))
    assert sequential == [] and without_gin == []
