"""N+1 detection on the main pages of every role, on the demo world (several
reviews, documents, RFIs, findings, assignments each), two ways:

* django-zeal raises on a relation loaded row by row from a queryset's
  instances, naming the line that did it;
* every statement of a page, literals stripped, runs once: zeal does not see
  relations of rows that came in through ``select_related`` (a timeline's
  actors' memberships, say); the same statement twice in one page does.
"""

import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from zeal import zeal_context

from reviews.models import Review

pytestmark = pytest.mark.django_db

ROLES = ["admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"]
LIST_PAGES = ["dashboard", "review_list", "notification_index"]
REVIEW_PAGES = [
    "review_detail",
    "review_documents",
    "review_rfis",
    "review_findings",
    "review_checklist",
    "review_history",
]


def _client(demo, login, who):
    user = demo[who]
    visible = list(Review.objects.visible_to(type(user).objects.select_related("membership").get(pk=user.pk)))
    return login(user, accept_terms_for=visible), visible


@pytest.mark.parametrize("who", ROLES)
def test_main_pages_load_relations_in_bulk(demo, login, who):
    client, visible = _client(demo, login, who)
    assert visible, "every demo role sees at least one review"
    urls = [reverse(name) for name in LIST_PAGES]
    for review in visible:
        urls += [reverse(name, args=[review.pk]) for name in REVIEW_PAGES]
        if who in ("admin", "lead_nsa"):
            urls.append(reverse("review_access", args=[review.pk]))
    if who == "admin":
        urls.append(reverse("audit_index"))
    if who != "reviewer_nsa":
        urls += [reverse("people_list"), reverse("invitation_create")]
    for url in urls:
        client.get(url)  # the first request settles the session (MFA check)
        with zeal_context(), CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        repeated = {
            sql: n
            for sql, n in Counter(_shape(q["sql"]) for q in ctx.captured_queries).items()
            # A lead's page asks the grants twice: may view, may assign (two permissions, not rows).
            if n > (2 if sql.startswith("SELECT string_agg(g.id::text") else 1)
        }
        assert not repeated, (url, repeated)


def _shape(sql: str) -> str:
    """The statement with its literals and id lists replaced: one shape per N+1."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    return re.sub(r"\(\?(?:, \?)*\)", "(?)", sql)


def test_repeated_statement_guard_sees_a_select_related_n_plus_one(demo):
    """What zeal misses, the shape count catches: actors' memberships read
    one by one off select_related rows."""
    with CaptureQueriesContext(connection) as ctx:
        for t in demo["atlas"].transitions.select_related("actor"):
            t.actor.membership
    shapes = Counter(_shape(q["sql"]) for q in ctx.captured_queries)
    assert max(shapes.values()) > 1


def test_zeal_catches_a_row_by_row_relation(demo, login):
    """The guard itself works: reading each review's model one by one is caught."""
    from zeal.errors import NPlusOneError

    with pytest.raises(NPlusOneError), zeal_context():
        [r.model.name for r in Review.objects.all()]
