"""Every page of a review carries a search within that review: the search
page's review filter, so its results are that review's alone (and, as every
search, only what the reader may see)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from findings import services as finding_services
from findings.models import FindingCategory

pytestmark = pytest.mark.django_db

PAGES = ("", "documents/", "rfis/", "findings/")


def _client(user) -> Client:
    from journeys.browser import force_login_mfa

    client = Client()
    force_login_mfa(client, user)
    return client


def _review_search_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the page's "Search this review" form."""
    (form,) = re.findall(r'<form class="review-search" method="get" action="([^"]+)" role="search" aria-label="Search this review">(.*?)</form>', html, re.S)
    action, body = form
    return action, dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', body))


def test_each_page_of_a_review_searches_that_review_alone(demo):
    nsa = demo["reviewer_nsa"]
    category = FindingCategory.objects.first()
    for review in ("atlas_mini", "atlas"):  # NSA sees both; the word is in each
        finding_services.finding_create(review_id=demo[review].pk, actor=nsa, title=f"Cobalt relay on {review}",
                                        category=category, severity="low", description="A cobalt relay.")
    client = _client(nsa)
    mini = demo["atlas_mini"]
    forms = set()
    for page in PAGES:
        response = client.get(f"/reviews/{mini.pk}/{page}")
        assert response.status_code == 200, page
        html = response.content.decode()
        assert f'<label for="review-search-q" class="visually-hidden">Search review #{mini.pk}</label>' in html
        action, hidden = _review_search_form(html)
        forms.add((action, tuple(sorted(hidden.items()))))
    assert forms == {("/search/", (("review", str(mini.pk)),))}
    results = client.get("/search/", {**dict(next(iter(forms))[1]), "q": "cobalt"}).content.decode()
    titles = re.findall(r'<p class="search-hit-title"><span class="badge">Finding</span> <a href="[^"]+">([^<]+)</a>', results)
    assert titles == ["Cobalt relay on atlas_mini"]
    # Counted in the number it needs: one finding, no questions.
    assert "<strong>0</strong> questions &middot; <strong>1</strong> finding\n" in results
    everywhere = client.get("/search/", {"q": "cobalt"}).content.decode()
    assert "Cobalt relay on atlas" in everywhere.replace("Cobalt relay on atlas_mini", "")  # the other review's, outside the filter


def test_a_search_narrowed_to_a_review_names_it_and_leads_out_unless_out_of_scope(demo):
    client = _client(demo["reviewer_nsa"])
    mini, helix = demo["atlas_mini"], demo["helix"]  # NSA does not take part in Helix-1
    named = client.get("/search/", {"q": "atlas", "review": mini.pk}).content.decode()
    assert (f'in review #{mini.pk}, {mini.model} (<a href="/search/?q=atlas">search everything</a>)') in named
    none = client.get("/search/", {"q": "zzqxv", "review": mini.pk}).content.decode()
    assert f"Nothing you may see matches &ldquo;zzqxv&rdquo; in review #{mini.pk}, {mini.model} (" in none
    assert "with these filters" not in none  # the review is named: no other filter to speak of
    hidden = client.get("/search/", {"q": "helix", "review": helix.pk}).content.decode()
    assert f"in review #{helix.pk}" not in hidden and str(helix.model) not in hidden
    assert "Nothing you may see matches &ldquo;helix&rdquo; with these filters." in hidden


def test_the_plain_form_lands_on_an_address_of_the_filled_fields_alone(demo):
    client = _client(demo["reviewer_nsa"])
    sent = "q=atlas&type=&review=&agency=&company=&marking=&date_from=&date_to=&page="
    response = client.get(f"/search/?{sent}")
    assert response.status_code == 302 and response["Location"] == "/search/?q=atlas"
    assert client.get("/search/?q=atlas&type=finding&review=&agency=").headers["Location"] == "/search/?q=atlas&type=finding"
    assert client.get("/search/?q=&type=").headers["Location"] == "/search/"
    landed = client.get("/search/?q=atlas")
    assert landed.status_code == 200 and "for &ldquo;atlas&rdquo;" in landed.content.decode()
    # htmx leaves empty fields out itself (static/js/portal.js); asked with them anyway, it answers in place.
    part = client.get(f"/search/?{sent}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results")
    assert part.status_code == 200 and "for &ldquo;atlas&rdquo;" in part.content.decode()
