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


def _document(demo, title: str, text: str, review: str = "atlas", actor: str = "liaison_northwind"):
    version = document_create(
        review=demo[review], actor=demo[actor], kind="other", title=title,
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


# -- past the cap: more than CAP matches of a kind, and the exact match made last (the highest id) ---------


def _clones(row, values, field="title", **same):
    """Copies of ``row`` as stored, one per value of ``field`` (``same``: other
    fields changed in every copy), in one statement (the search columns are generated)."""
    model = type(row)
    stored = model.objects.get(pk=row.pk)
    fields = {f.attname: getattr(stored, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
    model.objects.bulk_create([model(**{**fields, **same, field: value}) for value in values])


def _section(user, text, kind):
    (section,) = search(user=user, text=text, filters=Filters(kinds=(kind,)), limit=10).sections
    return section


def test_exact_document_title_first_past_the_cap(demo):
    from search.selectors import common

    _clones(_document(demo, "Sandbox escape log 0", "Nothing."), [f"Sandbox escape log {i}" for i in range(1, common.CAP + 10)])
    exact = _document(demo, "Sandbox escape", "Nothing here.")
    section = _section(demo["reviewer_nsa"], "sandbox escape", "document")
    assert section.shown_count == f"{common.CAP}+"
    assert [h.title for h in section.hits][:1] == [exact.title]


def test_exact_finding_title_first_past_the_cap(demo):
    from search.selectors import common

    category = FindingCategory.objects.first()
    create = finding_services.finding_create
    first = create(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="Prompt injection variant 0", category=category,
                   severity="low", description="Prompt injection seen.")
    _clones(first, [f"Prompt injection variant {i}" for i in range(1, common.CAP + 10)])
    exact = create(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="Prompt injection", category=category,
                   severity="low", description="Seen once.")
    section = _section(demo["reviewer_nsa"], "prompt injection", "finding")
    assert section.shown_count == f"{common.CAP}+"
    assert [h.title for h in section.hits][:1] == [exact.title]


def test_exact_question_subject_first_past_the_cap(demo):
    from rfis import services as rfi_services
    from search.selectors import common

    ask = rfi_services.rfi_create
    first = ask(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], subject="Update signing keys 0", question="Who holds them?")
    _clones(first, [f"Update signing keys {i}" for i in range(1, common.CAP + 10)], field="subject")
    exact = ask(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], subject="Update signing", question="Is it signed?")
    section = _section(demo["reviewer_nsa"], "update signing", "rfi")
    assert section.shown_count == f"{common.CAP}+"
    assert [h.title for h in section.hits][:1] == [f"RFI #{exact.pk}: {exact.subject}"]


def test_exact_model_name_first_past_the_cap(demo):
    from companies.models import AIModel
    from search.selectors import common

    atlas = demo["atlas"]
    variant = AIModel.objects.create(company=atlas.company, name="Atlas variant", version="9", created_by=atlas.model.created_by)
    _clones(atlas, [atlas.summary] * (common.CAP + 10), field="summary", model_id=variant.pk)
    exact_model = AIModel.objects.create(company=atlas.company, name="Atlas", version="9", created_by=atlas.model.created_by)
    _clones(atlas, [atlas.summary], field="summary", model_id=exact_model.pk)
    for typed in ("atlas", "Atlas 9"):
        section = _section(demo["admin"], typed, "review")
        assert section.shown_count == f"{common.CAP}+"
        assert [h.review.model.name for h in section.hits][:1] == ["Atlas"], typed


def test_exact_document_title_past_the_exact_limit_is_read_scoped(demo, monkeypatch):
    """More exact matches than EXACT_MATCHES: the scoped query with the match
    decides, still first, and still only what the user may see."""
    from search.selectors import common

    monkeypatch.setattr(common, "EXACT_MATCHES", 1)
    _clones(_document(demo, "Sandbox escape log 0", "Nothing."), [f"Sandbox escape log {i}" for i in range(1, common.CAP + 10)])
    mine = _document(demo, "Sandbox escape", "Nothing here.")
    theirs = _document(demo, "Sandbox escape", "Nothing here.", review="helix", actor="liaison_contoso")  # CISA's, not NSA's
    section = _section(demo["reviewer_nsa"], "sandbox escape", "document")
    assert section.shown_count == f"{common.CAP}+"
    assert [h.url for h in section.hits][:1] == [f"/documents/{mine.pk}/"]
    assert f"/documents/{theirs.pk}/" not in [h.url for h in section.hits]
