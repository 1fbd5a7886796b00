"""The search's date filter: days of the reader's time zone, from the first
day's midnight to the midnight after the last (bounds on the moment itself,
which an index answers), for every kind; and kept statements never carry one
zone's bounds into another's. The agency filter: what each kind counts as an
agency's."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import pytest
from django.utils import timezone

from documents.models import Document
from findings import services as finding_services
from findings.models import Finding, FindingCategory
from rfis import services as rfi_services
from rfis.models import InformationRequest
from search.selectors import Filters, search

from .conftest import text_version

pytestmark = pytest.mark.django_db

LA, TOKYO = zoneinfo.ZoneInfo("America/Los_Angeles"), zoneinfo.ZoneInfo("Asia/Tokyo")
# 23:30 on Nov 30 in Los Angeles: Dec 1 07:30 UTC, Dec 1 16:30 in Tokyo.
LATE = datetime(2026, 11, 30, 23, 30, tzinfo=LA)


@pytest.fixture
def late_material(demo):
    """A finding, a question and a document text with the word "vermilion",
    each created at LATE."""
    finding = finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], title="Vermilion path",
        category=FindingCategory.objects.first(), severity="low", description="The vermilion path.",
    )
    rfi = rfi_services.rfi_create(review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], subject="Vermilion",
                                  question="Is the vermilion channel signed?")
    version = text_version(demo["atlas"], word="vermilion", scan_status="clean")
    Finding.objects.filter(pk=finding.pk).update(created_at=LATE)
    InformationRequest.objects.filter(pk=rfi.pk).update(created_at=LATE)
    Document.objects.filter(pk=version.document_id).update(created_at=LATE)
    return {"finding": finding, "rfi": rfi, "document": version.document}


def _counts(user, zone, **dates) -> dict[str, int]:
    with timezone.override(zone):
        results = search(user=user, text="vermilion", filters=Filters(kinds=("document", "rfi", "finding"), **dates))
    return {section.kind: section.count for section in results.sections}


def test_dates_are_the_readers_days_and_the_same_statement_answers_each_zone_right(demo, late_material):
    nsa = demo["reviewer_nsa"]
    every = {"document": 1, "rfi": 1, "finding": 1}
    none = {"document": 0, "rfi": 0, "finding": 0}
    nov30, dec1 = date(2026, 11, 30), date(2026, 12, 1)
    # In Los Angeles they were made on Nov 30 (up to its last minute), not on Dec 1.
    assert _counts(nsa, LA, date_to=nov30) == every
    assert _counts(nsa, LA, date_from=nov30, date_to=nov30) == every
    assert _counts(nsa, LA, date_from=dec1) == none
    # In Tokyo the same moment is Dec 1: the same filters, the other answer.
    assert _counts(nsa, TOKYO, date_to=nov30) == none
    assert _counts(nsa, TOKYO, date_from=dec1) == every
    assert _counts(nsa, LA, date_from=dec1) == none  # back in Los Angeles: not Tokyo's kept bounds
    # The last day a date field takes leaves no upper bound rather than failing.
    assert _counts(nsa, LA, date_from=nov30, date_to=date.max) == every


@pytest.mark.parametrize("kind", ["document", "rfi", "finding"])
def test_an_agency_filter_keeps_only_that_agencys_material(demo, material, kind):
    """A document is kept by the agencies taking part in its review (zircon:
    Helix-1, CISA only; obsidian: Atlas-2, NSA only), a question or finding
    by the agency that wrote it (marmalade: CISA's; lanthanum: NSA's): for
    the program office, who sees all of it, each agency's filter keeps its
    own and nothing of the other's."""
    words = {"document": ("zircon", "obsidian"), "rfi": ("marmalade",), "finding": ("lanthanum",)}[kind]
    owner = {"zircon": "cisa", "obsidian": "nsa", "marmalade": "cisa", "lanthanum": "nsa"}
    office = demo["admin"]
    for word in words:
        for agency in ("nsa", "cisa", "dod"):
            [section] = search(user=office, text=word, filters=Filters(kinds=(kind,), agency_id=demo[agency].pk)).sections
            assert section.count == (1 if owner[word] == agency else 0), (word, agency)
            assert len(section.hits) == section.count


@pytest.mark.parametrize("field", ["review", "agency", "company", "marking"])
def test_an_id_past_the_databases_range_finds_nothing_and_fails_nothing(demo, material, login, field):
    """An id filter is taken as typed (search.forms): one past bigint's range
    is nobody's, and the page says nothing matches, as for any other id no
    one has — never a database error (the agency's cast to bigint raised one)."""
    from django.urls import reverse

    client = login(demo["admin"])
    link = reverse("document_detail", kwargs={"pk": material["zircon"].document_id})
    assert link in client.get(reverse("search"), {"q": "zircon"}).content.decode()  # found without the filter
    response = client.get(reverse("search"), {"q": "zircon", field: str(10**30)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing you may see matches" in page and link not in page
