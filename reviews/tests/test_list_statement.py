"""The rows statement of the review list and of every dashboard's table is
compiled once per reader, order and kind of filter (``portal.pagination.
page_rows`` with ``kept``): what a page shows must be what a freshly compiled
statement shows — every demo role, every order, filtered or not, any page —
and one reader's kept statement never answers for another."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import DEMO_ROLES
from portal import statements
from reviews import services
from reviews.models import Review
from reviews.selectors import SORTS, review_list

from .factories import make_review

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_statement_cache")]

KEPT = "portal.pagination.page_rows"


def _rows(client, url):
    """What each row of the page's table is drawn from."""
    out = []
    for row in client.get(url).context["page"].object_list:
        review = getattr(row, "review", row)  # a reviewer's dashboard lists assignments
        line = [row.pk, type(row).__name__, review.pk, review.status, review.window_end, str(review.model), str(review.company)]
        if row is review:  # a list of reviews: each agency's acronym, sign-off and certificate
            line.append(tuple(tuple(sorted(a.items())) for a in review.agency_states))
        if hasattr(row, "coverage"):
            line.append(tuple((a.reviewer_id, a.status, a.reviewer.get_full_name(), a.reviewer.membership.agency.acronym) for a in row.coverage))
        out.append(tuple(line))
    return out


def _kept_for(user) -> set:
    """The page-rows call sites kept compiled for ``user`` (the key's last part is the reader)."""
    return {key[2][1:-1] for key, kept in statements.entries() if key[2][0] == KEPT and key[2][-1][0] == user.pk and kept}


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_list_rows_kept_compiled_show_what_a_fresh_statement_shows(demo, role, login, settings):
    user = demo[role]
    client = login(user)
    urls = [reverse("review_list") + f"?sort={sort}" for sort in SORTS]
    seen = review_list(user=user).first()  # a status and a name this reader's filters find
    urls += [reverse("review_list") + f"?status={seen.status}", reverse("review_list") + f"?q={seen.model.name}", reverse("dashboard")]
    settings.PORTAL_STATEMENT_CACHE = False
    fresh = [_rows(client, url) for url in urls]
    settings.PORTAL_STATEMENT_CACHE = True
    first = [_rows(client, url) for url in urls]
    kept = [_rows(client, url) for url in urls]
    assert first == fresh and kept == fresh
    assert all(fresh), role  # every page has rows: each is a statement to compare
    sorts = {key[1] for key in _kept_for(user) if key[0] == "reviews.review_list" and not any(key[2:])}
    assert sorts == set(SORTS)
    assert ("reviews.review_list", "deadline", seen.status, False) in _kept_for(user)  # the status names its statements
    assert ("reviews.review_list", "deadline", None, True) in _kept_for(user)
    dashboard = {key[0] for key in _kept_for(user) if key[0].startswith("dashboard.")}
    assert dashboard == {
        "admin": {"dashboard.office"}, "lead_nsa": {"dashboard.lead"}, "lead_cisa": {"dashboard.lead"},
        "reviewer_nsa": {"dashboard.reviewer"}, "reviewer_cisa": {"dashboard.reviewer"},
        "liaison_northwind": {"dashboard.liaison"}, "liaison_contoso": {"dashboard.liaison"},
    }[role]


def test_list_rows_kept_compiled_answer_every_page_and_size(demo, login, settings):
    """Other ids, more or fewer of them: the one kept statement per order."""
    for _ in range(25):
        make_review(company=demo["northwind"], agencies=[demo["nsa"]], status="submitted", liaison=demo["liaison_northwind"])
    client = login(demo["admin"])
    urls = [reverse("review_list") + q for q in ("?per_page=10", "?per_page=10&page=2", "?per_page=10&page=3", "?per_page=25", "?sort=-model&per_page=10&page=2")]
    settings.PORTAL_STATEMENT_CACHE = False
    fresh = [_rows(client, url) for url in urls]
    settings.PORTAL_STATEMENT_CACHE = True
    assert [_rows(client, url) for url in urls] == fresh
    total = Review.objects.count()  # the program office sees every review
    assert 20 < total < 30 and [len(rows) for rows in fresh[:4]] == [10, 10, total - 20, 25]
    assert {key[1] for key in _kept_for(demo["admin"]) if key[0] == "reviews.review_list"} == {"deadline", "-model"}
    # The page ids of the first pages (10 and 25 a page) and of the last one
    # (page 3 of 10) are kept statements; the middle pages' are compiled each time.
    ids = {(key[2][2], key[2][-2], key[2][-1]) for key, kept in statements.entries()
           if key[2][0] == "portal.pagination.page_ids" and kept}
    assert ids == {("deadline", False, 10), ("deadline", True, total - 20), ("deadline", False, 25)}


def test_first_page_ids_kept_honour_a_grant_expiring_between_two_visits(closed_with_grace):
    """The same reader's kept first-page ids, only "now" moved past a grant's end."""
    from datetime import timedelta

    import time_machine

    from portal.pagination import page_rows
    from portal.scoping import reader_key

    reviewer, review, other, closed_at = closed_with_grace

    def first_page():
        qs = review_list(user=reviewer)
        total = qs.known_count()
        return [r.pk for r in page_rows(qs, offset=0, limit=25, total=total, kept=("test", "deadline", reader_key(reviewer)))]

    with time_machine.travel(closed_at + timedelta(days=29, hours=23), tick=False):
        assert sorted(first_page()) == sorted([review.pk, other.pk])
    with time_machine.travel(closed_at + timedelta(days=30, seconds=1), tick=False):
        assert first_page() == [other.pk]
    assert [kept for key, kept in statements.entries() if key[2][0] == "portal.pagination.page_ids"] == [True]


def test_lead_dashboard_kept_rows_never_show_another_agencys_coverage(demo, login, fresh_shared_review):
    """Two leads of the agencies sharing a review, each after the other: each
    cell holds only their own agency's reviewer (the statement and its
    coverage lookups are kept per reader, not per page shape)."""
    services.assignment_invite(review=fresh_shared_review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    services.assignment_invite(review=fresh_shared_review, reviewer=demo["reviewer_cisa"], actor=demo["lead_cisa"])
    seen = {}
    for _ in range(2):
        for lead in ("lead_nsa", "lead_cisa", "lead_nsa"):
            rows = {row[0]: row for row in _rows(login(demo[lead]), reverse("dashboard"))}
            seen.setdefault(lead, rows[fresh_shared_review.pk][-1])
            assert rows[fresh_shared_review.pk][-1] == seen[lead]
    nsa, cisa = demo["reviewer_nsa"], demo["reviewer_cisa"]
    assert seen["lead_nsa"] == ((nsa.pk, "invited", nsa.get_full_name(), "NSA"),)
    assert seen["lead_cisa"] == ((cisa.pk, "invited", cisa.get_full_name(), "CISA"),)


def test_lists_share_their_columns_but_never_one_readers_scope_filter_or_rows(demo):
    """Every list clones the same built columns (``_list_columns``): a list
    read, filtered and ordered for one reader leaves nothing behind for the
    next — each sees exactly its own reviews, in its own order."""
    from django.db import connection

    from reviews.selectors import _list_columns_built

    lead, liaison = demo["lead_nsa"], demo["liaison_contoso"]
    seen = review_list(user=lead).first()
    narrowed = list(review_list(user=lead, sort="-model", status=seen.status, q=seen.model.name))
    assert narrowed and {r.pk for r in narrowed} == set(
        Review.objects.visible_to(lead).filter(status=seen.status, model__name__icontains=seen.model.name).values_list("pk", flat=True)
    )
    everything = list(review_list(user=liaison))
    assert [r.pk for r in everything] == list(Review.objects.visible_to(liaison).order_by("window_end", "id").values_list("pk", flat=True))
    assert {r.pk for r in everything} != {r.pk for r in narrowed}
    assert all(r.agency_acronyms is not None for r in everything)  # the shared columns are there
    built = _list_columns_built(connection.vendor)
    assert built._result_cache is None and not built.query.where and not built.query.order_by
