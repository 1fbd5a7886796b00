"""``GET /api/v1/search/``: what the web search finds, as data — for every demo
role exactly the pieces it may see (search/tests/test_scope.py's), each with
its id in this API, its review and a snippet; pages of one type; bad input
named by its field."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import DEMO_ROLES
from findings.models import Finding, FindingCategory
from search.tests.conftest import make_material
from search.tests.test_scope import EXPECTED

pytestmark = pytest.mark.django_db

API_KIND = {"document": "documents", "rfi": "rfis", "finding": "findings", "review": "reviews"}


def _object(material, word):
    row = material[word]
    return (row.document_id, row.document.review_id) if hasattr(row, "document_id") else (row.pk, row.review_id)


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_the_api_search_finds_exactly_what_the_role_may_see(demo, api, role):
    material = make_material(demo)
    client = api(demo[role])
    for word, (kind, finders) in EXPECTED.items():
        response = client.get("/api/v1/search/", {"q": word})
        assert response.status_code == 200, response.content
        body = response.json()
        found = {s["type"]: s for s in body["sections"] if s["count"] or s["results"]}
        if role not in finders:
            assert found == {}, (role, word)
            assert word not in json.dumps(body["sections"]).lower()  # no title, snippet or detail of it
            continue
        assert set(found) == {kind}, (role, word)
        section = found[kind]
        (hit,) = section["results"]
        pk, review_id = _object(material, word)
        assert (section["count"], section["more"], hit["type"], hit["id"], hit["review"]) == (1, False, kind, pk, review_id)
        assert hit["api_url"] == f"http://testserver/api/v1/{API_KIND[kind]}/{pk}/"
        assert client.get(hit["api_url"]).status_code == 200  # what it points at is readable by the same caller
        assert hit["url"].startswith("http://testserver/") and hit["created_at"]
        assert f"<mark>{word}</mark>" in hit["snippet_html"].lower() and word in hit["snippet"].lower()
        assert "<mark>" not in hit["snippet"]
        assert (body["query"], body["unsearchable"], body["page"], body["next_page"], body["next"], body["previous"]) == (word, False, 1, None, None, None)


def test_one_type_comes_in_pages_of_fifty(demo, api):
    start, category = timezone.now() - timedelta(days=1), FindingCategory.objects.first()
    Finding.objects.bulk_create(
        Finding(review=demo["atlas_mini"], agency=demo["nsa"], author=demo["reviewer_nsa"], title=f"Pagoda path {n}", category=category,
                severity="low", description="The pagoda prompt.", created_at=start + timedelta(minutes=n))
        for n in range(1, 61)
    )
    client = api(demo["reviewer_nsa"])
    first = client.get("/api/v1/search/", {"q": "pagoda", "type": "finding"}).json()
    second = client.get("/api/v1/search/", {"q": "pagoda", "type": "finding", "page": 2}).json()
    titles = lambda body: [h["title"] for s in body["sections"] for h in s["results"]]  # noqa: E731
    assert titles(first) == [f"Pagoda path {n}" for n in range(60, 10, -1)]
    assert titles(second) == [f"Pagoda path {n}" for n in range(10, 0, -1)]
    assert (first["page"], first["next_page"], second["page"], second["next_page"]) == (1, 2, 2, None)
    assert (first["previous"], second["next"]) == (None, None)
    assert first["next"] == "http://testserver/api/v1/search/?q=pagoda&type=finding&page=2"
    assert second["previous"] == "http://testserver/api/v1/search/?q=pagoda&type=finding&page=1"
    assert client.get(first["next"]).json()["sections"] == second["sections"]  # the address is the page
    assert [s["count"] for s in first["sections"]] == [60]
    everything = client.get("/api/v1/search/", {"q": "pagoda"}).json()
    assert [(s["type"], s["count"], len(s["results"])) for s in everything["sections"] if s["count"]] == [("finding", 60, 10)]


@pytest.mark.parametrize("params,field,code", [
    ({}, "q", "required"),
    ({"q": "   "}, "q", "required"),
    ({"q": "a\x00b"}, "q", "null_characters_not_allowed"),
    ({"q": "x" * 201}, "q", "max_length"),
    ({"q": "atlas", "type": "everything"}, "type", "invalid_choice"),
    ({"q": "atlas", "type": "finding", "page": 3}, "page", "max_value"),
    ({"q": "atlas", "review": "twelve"}, "review", "invalid"),
    ({"q": "atlas", "date_from": "2026-12-02", "date_to": "2026-12-01"}, "date_to", "invalid"),
])
def test_bad_input_is_named_by_its_field(demo, api, params, field, code):
    response = api(demo["reviewer_nsa"]).get("/api/v1/search/", params)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == (field, code), error
    assert error["message"]


def test_an_api_search_is_recorded_as_the_api_s_and_a_refused_one_is_not(demo, api):
    """What the API showed is on the record like the page's (search/tests/test_search_records.py)."""
    from search.models import SearchRecord

    make_material(demo)
    client = api(demo["liaison_northwind"])
    assert client.get("/api/v1/search/", {"q": ""}).status_code == 400
    assert client.get("/api/v1/search/", {"q": "obsidian", "page": "0"}).status_code == 400
    response = client.get("/api/v1/search/", {"q": "obsidian", "review": demo["atlas"].pk, "date_from": "2026-01-01"})
    assert response.status_code == 200
    records = SearchRecord.objects.values_list("actor_label", "actor_organisation", "via", "text", "filters", "found")
    assert list(records) == [(
        demo["liaison_northwind"].email, "Northwind AI", "api", "obsidian",
        {"review": demo["atlas"].pk, "date_from": "2026-01-01"}, {"reviews": "0", "documents": "1", "questions": "0", "findings": "0"},
    )]


def test_a_pdf_snippets_page_is_a_field_of_its_hit(demo, api):
    """``text_page``: the page of the PDF a document's snippet is on, and
    ``text_page_url`` the version opened at it, ``text_find_url`` every page
    of the document that holds the words; null for a hit that has none."""
    from search.tests.test_snippet_pages import PAGES, _pages_pdf, _stored

    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    client = api(demo["reviewer_nsa"])
    (hit,) = client.get("/api/v1/search/", {"q": "heliotrope", "type": "document"}).json()["sections"][0]["results"]
    assert (hit["id"], hit["text_page"]) == (version.document_id, 3)
    assert hit["text_page_url"] == f"http://testserver/documents/versions/{version.pk}/view/?page=3"
    assert hit["text_find_url"] == f"http://testserver/documents/{version.document_id}/find/?q=heliotrope"
    titled = client.get("/api/v1/search/", {"q": "Range notes", "type": "document"}).json()["sections"][0]["results"]
    assert [(h["id"], h["text_page"], h["text_page_url"], h["text_find_url"]) for h in titled] == [(version.document_id, None, None, None)]
