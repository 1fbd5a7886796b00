"""One kind's results in pages of 50: its first 100 (the ranked ones, CAP)
over two pages, best first across them, each result once, and nothing out of
scope on any page; past the last page a message, never an empty list; the
"everything" page keeps each kind's first ten."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from findings.models import Finding, FindingCategory

pytestmark = pytest.mark.django_db


def _findings(demo, agency: str, author: str, numbers: range) -> None:
    """Findings with the word "pagoda", internal to ``agency``, number n made n minutes after the first."""
    start = timezone.now() - timedelta(days=1)
    review, category = demo["atlas_mini"], FindingCategory.objects.first()
    Finding.objects.bulk_create(
        Finding(review=review, agency=demo[agency], author=demo[author], title=f"Pagoda path {n} of {agency}", category=category,
                severity="low", description="The pagoda prompt bypasses the classifier.", created_at=start + timedelta(minutes=n))
        for n in numbers
    )


@pytest.fixture
def nsa(demo) -> Client:
    from journeys.browser import force_login_mfa

    client = Client()
    force_login_mfa(client, demo["reviewer_nsa"])
    return client


def _titles(response) -> list[str]:
    return re.findall(r'<p class="search-hit-title"><span class="badge">Finding</span> <a href="[^"]+">([^<]+)</a>', response.content.decode())


def test_one_kind_pages_hold_every_result_once_best_first_and_nothing_out_of_scope(demo, nsa):
    _findings(demo, "nsa", "reviewer_nsa", range(1, 81))
    _findings(demo, "cisa", "reviewer_cisa", range(1, 11))  # CISA's own: never on NSA's pages, nor counted
    first = nsa.get("/search/", {"q": "pagoda", "type": "finding"})
    second = nsa.get("/search/", {"q": "pagoda", "type": "finding", "page": 2})
    assert _titles(first) == [f"Pagoda path {n} of nsa" for n in range(80, 30, -1)]
    assert _titles(second) == [f"Pagoda path {n} of nsa" for n in range(30, 0, -1)]
    one, two = first.content.decode(), second.content.decode()
    assert "<strong>80</strong> findings" in one and "<strong>80</strong> findings" in two
    assert '<ol class="search-hits" start="1">' in one and '<ol class="search-hits" start="51">' in two
    assert "1&ndash;50 of 80" in one and "51&ndash;80 of 80" in two
    assert 'href="/search/?q=pagoda&amp;type=finding&amp;page=2" rel="next">Next results</a>' in one
    assert 'rel="prev"' not in one
    assert 'href="/search/?q=pagoda&amp;type=finding" rel="prev">Previous results</a>' in two
    assert 'rel="next"' not in two
    assert "add words or filters" not in one + two  # every result is on a page
    assert "of cisa" not in one + two


def test_past_the_hundred_ranked_results_the_last_page_asks_for_more_words(demo, nsa):
    _findings(demo, "nsa", "reviewer_nsa", range(1, 131))
    first = nsa.get("/search/", {"q": "pagoda", "type": "finding"})
    second = nsa.get("/search/", {"q": "pagoda", "type": "finding", "page": 2})
    one, two = _titles(first), _titles(second)
    assert len(one) == len(two) == 50 and not set(one) & set(two)
    number = lambda title: int(title.split()[2])  # noqa: E731
    shown = [number(t) for t in one + two]
    assert shown == sorted(shown, reverse=True)  # best (here: newest) first across the pages
    body = second.content.decode()
    assert "<strong>100+</strong> findings" in body and "51&ndash;100 of 100+" in body
    assert "Only the first 100 findings are shown; add words or filters to narrow the search." in body
    assert 'rel="next"' not in body
    third = nsa.get("/search/", {"q": "pagoda", "type": "finding", "page": 3})
    page = third.content.decode()
    assert _titles(third) == []
    assert "Page: only the first 100 results of a type are shown, 2 pages of 50; add words or filters to narrow the search." in page


def test_a_page_past_the_last_result_says_so_and_the_everything_page_ignores_pages(demo, nsa):
    _findings(demo, "nsa", "reviewer_nsa", range(1, 31))
    past = nsa.get("/search/", {"q": "pagoda", "type": "finding", "page": 2})
    body = past.content.decode()
    assert _titles(past) == []
    assert 'Page 2 is past the last result. <a href="/search/?q=pagoda&amp;type=finding">First page</a>' in body
    everything = nsa.get("/search/", {"q": "pagoda", "page": 2})
    assert _titles(everything) == [f"Pagoda path {n} of nsa" for n in range(30, 20, -1)]
    assert 'rel="next"' not in everything.content.decode()
    assert "All findings matching" in everything.content.decode()


def _twelve(demo, kind: str) -> tuple:
    """Twelve rows of ``kind`` the NSA reviewer sees, all matching the typed text, made apart in time."""
    from rfis import services as rfi_services

    from .test_ranking import _clones, _document

    start = timezone.now() - timedelta(days=1)
    when = {"created_at": start}
    if kind == "document":
        _clones(_document(demo, "Lotus ledger 0", "Nothing."), [f"Lotus ledger {i}" for i in range(1, 12)], **when)
    elif kind == "rfi":
        first = rfi_services.rfi_create(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], subject="Lotus ledger 0", question="Kept?")
        _clones(first, [f"Lotus ledger {i}" for i in range(1, 12)], field="subject", **when)
    elif kind == "finding":
        _findings(demo, "nsa", "reviewer_nsa", range(1, 13))
        return demo["reviewer_nsa"], "pagoda"
    else:
        from companies.models import AIModel

        atlas = demo["atlas"]
        for i in range(12):
            model = AIModel.objects.create(company=atlas.company, name=f"Lotus {i}", version="1", created_by=atlas.model.created_by)
            _clones(atlas, [atlas.summary], field="summary", model_id=model.pk, created_at=start + timedelta(minutes=i))
        return demo["admin"], "lotus"
    return demo["reviewer_nsa"], "lotus ledger"


@pytest.mark.parametrize("kind", ["review", "document", "rfi", "finding"])
def test_every_kind_reads_a_page_past_the_first_in_the_same_order(demo, kind):
    from search.selectors import Filters, search

    user, text = _twelve(demo, kind)

    def titles(limit, offset=0):
        (section,) = search(user=user, text=text, filters=Filters(kinds=(kind,)), limit=limit, offset=offset).sections
        assert section.count == 12
        return [hit.title for hit in section.hits]

    every = titles(12)
    assert len(set(every)) == 12
    assert titles(5) + titles(5, 5) + titles(5, 10) == every
