"""A result's markup (search_ui.search_hits): every text escaped, the snippet's
marks kept, the review linked on material only, the date in the reader's zone."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from documents.models import HandlingMarking
from documents.services import document_create
from findings import services as finding_services
from findings.models import FindingCategory

from .conftest import text_set

pytestmark = pytest.mark.django_db


def _hits(html: str) -> dict[str, str]:
    """Each result ``<li>`` by the kind its badge names."""
    return {re.search(r'<span class="badge">([^<]+)</span>', li).group(1): li for li in re.findall(r'<li class="search-hit">.*?</li>', html, re.S)}


def test_search_hits_escape_titles_and_keep_snippet_marks(demo, login):
    review = demo["atlas"]
    version = document_create(
        review=review, actor=demo["liaison_northwind"], kind="other", title='Notes <script>alert("x")</script> & more',
        marking=HandlingMarking.objects.get(is_default=True), file=ContentFile(b"Plain.\n", name="x.txt"), original_name="x.txt",
    )
    text_set(version, "The porphyry probe & its <b>bold</b> claims were reproduced.")
    finding = finding_services.finding_create(
        review_id=review.pk, actor=demo["reviewer_nsa"], title="Porphyry <em>leak</em>", description="Porphyry shows.",
        severity="high", category=FindingCategory.objects.order_by("id").first(),
    )
    # A fixed moment near midnight UTC: the reader's zone (New York) puts it on the day before.
    finding.__class__.objects.filter(pk=finding.pk).update(created_at=datetime(2026, 3, 2, 3, 30, tzinfo=timezone.utc))

    html = login(demo["reviewer_nsa"]).get(reverse("search"), {"q": "porphyry"}).content.decode()
    hits = _hits(html)

    assert set(hits) == {"Document", "Finding"}
    document = hits["Document"]
    assert "Notes &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in document
    assert "<script>" not in document
    assert f'href="{reverse("document_detail", kwargs={"pk": version.document_id})}#version-{version.number}"' in document
    # The snippet: the text escaped (PostgreSQL's headline drops the tags themselves), the match marked.
    assert '<p class="search-hit-snippet"><mark>porphyry</mark> probe &amp; its bold claims were reproduced</p>' in document
    # Material names its review, linked.
    assert f'<a href="{reverse("review_detail", kwargs={"pk": review.pk})}">{review}</a> &middot; ' in document

    found = hits["Finding"]
    assert "Porphyry &lt;em&gt;leak&lt;/em&gt;" in found and "<em>" not in found
    assert "High · " in found
    assert "&middot; Mar 1, 2026</p>" in found


def test_search_hits_of_a_review_do_not_link_it_twice(demo, login):
    review = demo["atlas"]
    html = login(demo["reviewer_nsa"]).get(reverse("search"), {"q": str(review.model.name)}).content.decode()
    link = f'href="{reverse("review_detail", kwargs={"pk": review.pk})}"'
    items = re.findall(r'<li class="search-hit">.*?</li>', html, re.S)
    [hit] = [li for li in items if link in li and '<span class="badge">Review</span>' in li]
    assert hit.count(link) == 1
    assert f'<p class="search-hit-meta small">{review.company} · ' in hit
    # Its material (a document of the review's) names and links it.
    assert any(link in li and '<span class="badge">Document</span>' in li for li in items)


def test_the_counts_line_is_one_live_region_filled_out_of_band_as_one_types(demo):
    """The page's live region (role=status) is the counts line outside the
    swapped results: empty before a search, the counts after one; an htmx
    answer carries the new counts for it out of band and no live region of
    its own among the results; a form error leaves it empty (its alert is read)."""
    import re

    from django.test import Client

    from journeys.browser import force_login_mfa

    client = Client()
    force_login_mfa(client, demo["reviewer_nsa"])
    live = '<p id="search-status" class="small" role="status" aria-atomic="true">'
    empty = client.get("/search/").content.decode()
    assert live + "</p>" in empty
    full = client.get("/search/", {"q": "atlas"}).content.decode()
    (line,) = re.findall(re.escape(live) + r"(.*?)</p>", full, re.S)
    assert re.search(r"<strong>\d+</strong> reviews?\b.*for &ldquo;atlas&rdquo;", line, re.S)
    assert full.count('role="status"') == 1 and "aria-live" not in full.split('id="search-results"')[1]
    part = client.get("/search/", {"q": "atlas"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results").content.decode()
    (oob,) = re.findall(r'<p id="search-status" hx-swap-oob="innerHTML">(.*?)</p>', part, re.S)
    assert " ".join(oob.split()) == " ".join(line.split())
    assert 'role="status"' not in part and "aria-live" not in part
    error = client.get("/search/", {"q": "atlas", "date_from": "tomorrow"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results").content.decode()
    assert '<p id="search-status" hx-swap-oob="innerHTML"></p>' in error and 'role="alert"' in error


def test_the_embedded_excerpt_starts_and_ends_on_whole_words():
    """SQLite's excerpt is cut around the first word found at spaces: no
    "… ining" of a word cut in two at either end."""
    from search.selectors.common import _excerpt

    text = " ".join(f"training{n}" for n in range(40)) + " the heliotrope chain " + " ".join(f"limits{n}" for n in range(60))
    excerpt = str(_excerpt(text, ["heliotrope"]))
    assert excerpt.startswith("… ") and excerpt.endswith(" …") and "<mark>heliotrope</mark>" in excerpt
    inner = excerpt[2:-2].split(" ")
    words = set(text.split(" ")) | {"<mark>heliotrope</mark>"}
    assert inner and all(word in words for word in inner), inner
    assert _excerpt("short heliotrope text", ["heliotrope"]) == "short <mark>heliotrope</mark> text"
