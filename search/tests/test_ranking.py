"""Ranking pinned: an exact title match first; phrase and prefix queries."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from documents.models import HandlingMarking
from documents.services import document_create
from findings import services as finding_services
from findings.models import FindingCategory
from search.selectors import Filters, search

from .conftest import text_set

pytestmark = pytest.mark.django_db


def _document(demo, title: str, text: str):
    version = document_create(
        review=demo["atlas"], actor=demo["liaison_northwind"], kind="other", title=title,
        marking=HandlingMarking.objects.get(is_default=True), file=ContentFile(b"Plain notes.\n", name="x.txt"), original_name="x.txt",
    )
    text_set(version, text)
    return version.document


def _titles(user, text, kind):
    return [h.title for s in search(user=user, text=text, filters=Filters(kinds=(kind,)), limit=50).sections for h in s.hits]


def test_exact_document_title_first_then_title_matches_then_text(demo):
    exact = _document(demo, "Sandbox escape", "Nothing here.")
    _document(demo, "Sandbox escape attempts, full log", "Sandbox escape, sandbox escape, sandbox escape.")
    _document(demo, "Lab diary", "We tried a sandbox escape on day three; the sandbox escape failed.")
    assert _titles(demo["reviewer_nsa"], "sandbox escape", "document") == [
        exact.title, "Sandbox escape attempts, full log", "Lab diary",
    ]


def test_exact_finding_title_first_even_when_older_and_less_frequent(demo):
    category = FindingCategory.objects.first()
    create = finding_services.finding_create
    first = create(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="Prompt injection", category=category,
                   severity="low", description="Seen once.")
    create(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="Indirect prompt injection via tool output",
           category=category, severity="high", description="Prompt injection, prompt injection, prompt injection everywhere.")
    titles = _titles(demo["reviewer_nsa"], "prompt injection", "finding")
    assert titles[0] == first.title and len(titles) == 2


def test_phrase_and_prefix_queries(demo):
    _document(demo, "Chain notes", "The exploit chain held.")
    _document(demo, "Other notes", "A chain of events, then an exploit.")
    user = demo["reviewer_nsa"]
    assert _titles(user, '"exploit chain"', "document") == ["Chain notes"]
    assert sorted(_titles(user, "exploit chain", "document")) == ["Chain notes", "Other notes"]
    assert sorted(_titles(user, "explo* cha*", "document")) == ["Chain notes", "Other notes"]
    assert _titles(user, '"exploit chain" hel*', "document") == ["Chain notes"]
