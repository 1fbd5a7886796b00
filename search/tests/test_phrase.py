"""Quoted phrases are looked up in the adjacent-word pairs first (search_pairs,
documents/0008): the rows found are exactly those PostgreSQL's phrase match
finds — in documents' text, questions and findings, walked either way."""

from __future__ import annotations

import pytest

from findings import services as finding_services
from findings.models import FindingCategory
from rfis import services as rfi_services
from search.query import parse
from search.selectors import Filters, search

from .test_ranking import _document

pytestmark = pytest.mark.django_db


@pytest.fixture
def pieces(demo):
    finding = lambda title, text: finding_services.finding_create(  # noqa: E731
        review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title=title, category=FindingCategory.objects.first(),
        severity="low", description=text,
    )
    rfi = lambda subject, text: rfi_services.rfi_create(  # noqa: E731
        review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], subject=subject, question=text,
    )
    return {
        "document": [_document(demo, "Adjacent", "The crimson falcon report was filed."),
                     _document(demo, "Apart", "A crimson report about the falcon."),
                     _document(demo, "Stop word", "The falcon of crimson fame.")],
        "finding": [finding("Adjacent", "The crimson falcon bypass."), finding("Apart", "Crimson colour, falcon name.")],
        "rfi": [rfi("Adjacent", "Is the crimson falcon channel signed?"), rfi("Apart", "Crimson logs and falcon logs?")],
    }


def _titles(user, text, kind):
    return sorted(h.title.split(": ")[-1] for s in search(user=user, text=text, filters=Filters(kinds=(kind,))).sections
                  for h in s.hits)


@pytest.mark.parametrize("kind", ["document", "finding", "rfi"])
def test_phrase_finds_the_words_together_and_not_apart(demo, pieces, kind, walk):
    user = demo["reviewer_nsa"]
    assert _titles(user, '"crimson falcon"', kind) == ["Adjacent"]
    assert "Apart" in _titles(user, "crimson falcon", kind)
    assert "Adjacent" not in _titles(user, '-"crimson falcon" crimson', kind)
    assert _titles(user, '"falcon crimson"', kind) == []


def test_phrase_with_a_stop_word_or_an_alternative(demo, pieces, walk):
    user = demo["reviewer_nsa"]
    assert _titles(user, '"falcon of crimson"', "document") == ["Stop word"]
    assert _titles(user, '"crimson falcon" or "crimson report"', "document") == ["Adjacent", "Apart"]
    assert _titles(user, '"crimson falcon" rep*', "document") == ["Adjacent"]


def test_required_phrases_leave_out_excluded_ones_and_alternatives():
    assert parse('"red team" -"blue team" x').required_phrases == ("red team",)
    assert parse('"red team" or "blue team"').required_phrases == ()
    assert parse('"" plain').required_phrases == ()
