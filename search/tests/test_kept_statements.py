"""A search's statements are kept compiled per call site, query shape, filters
and reader (``search.selectors.common.kept``), with the query's texts as
parameters: what a search finds through them must be what freshly built
querysets find — every demo role, both ways of walking, every shape of
query — and a statement kept for one text or reader never answers another."""

from __future__ import annotations

import pytest

from conftest import DEMO_ROLES
from portal import statements
from search.selectors import Filters, search

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_statement_cache")]


def _found(user, text, filters=Filters()):
    """Every section's count and hits as the page shows them."""
    return [
        (s.kind, s.count, [(h.title, h.url, str(h.snippet), h.detail, h.review.pk) for h in s.hits])
        for s in search(user=user, text=text, filters=filters).sections
    ]


def _kept_sites(user) -> set:
    return {key[2][1] for key, kept in statements.entries() if key[2][0] == "search" and key[2][-1][0] == user.pk and kept}


def _queries(demo) -> list[str]:
    return [
        "zircon", "obsidian", "marmalade", "lanthanum", "quagmire",  # one word each, in and out of scope (conftest)
        "lab notes", '"reproduced twice"', '"twice reproduced"', "evalu*", "Atlas", "atlas-2 mini",
        f"#{demo['atlas'].pk}", str(demo["helix"].pk), '"red team" or zircon', "-zircon lab",
    ]


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_search_through_kept_statements_finds_what_fresh_querysets_find(demo, material, role, walk, settings):
    user = demo[role]
    queries = _queries(demo)
    settings.PORTAL_STATEMENT_CACHE = False
    fresh = [_found(user, q) for q in queries]
    settings.PORTAL_STATEMENT_CACHE = True
    first = [_found(user, q) for q in queries]  # compiles each shape once
    kept = [_found(user, q) for q in queries]
    assert first == fresh and kept == fresh
    # Each kind's statements went through kept statements for this reader.
    assert {"reviews.model_ids", "reviews.model_among", "reviews.model_name", "documents.title", "documents.name", "documents.text",
            "rfis.own", "rfis.thread", "findings"} <= _kept_sites(user)
    assert any(section[1] for result in fresh for section in result)  # the comparison is not of empty results


def test_a_kept_statement_answers_each_text_and_filter_with_its_own(demo, material, walk):
    user = demo["admin"]
    zircon, obsidian = _found(user, "zircon"), _found(user, "obsidian")
    assert zircon != obsidian
    # Same shape, the other way round, now kept: each text its own results.
    assert _found(user, "obsidian") == obsidian and _found(user, "zircon") == zircon
    # A review filter is part of the key: the Atlas-2 text is not found on Helix-1.
    on_helix = Filters(review_id=demo["helix"].pk)
    assert [s[1] for s in _found(user, "obsidian", on_helix)] == [0, 0, 0, 0]
    assert _found(user, "zircon", on_helix) != [(k, 0, []) for k in ("review", "document", "rfi", "finding")]


def test_a_kept_statement_never_answers_for_another_reader(demo, material, walk):
    """Two reviewers of two agencies share no statement: each finds only their agency's material."""
    nsa, cisa = demo["reviewer_nsa"], demo["reviewer_cisa"]
    for _ in range(2):
        assert [s[1] for s in _found(nsa, "obsidian")] == [0, 1, 0, 0]
        assert [s[1] for s in _found(cisa, "obsidian")] == [0, 0, 0, 0]
        assert [s[1] for s in _found(cisa, "zircon")] == [0, 1, 0, 0]
        assert [s[1] for s in _found(nsa, "zircon")] == [0, 0, 0, 0]
    assert _kept_sites(nsa) and _kept_sites(cisa)


def test_kept_statements_judge_a_grant_at_each_searchs_moment(demo, material, walk):
    """A reviewer whose only access is an expiring grant finds the review, a
    document's title and its text while it lasts — through statements kept by
    then — and nothing once it has expired, without any write."""
    import time_machine
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Role
    from accounts.tests.factories import make_user
    from reviews.services import access_grant, terms_accept

    atlas = demo["atlas"]
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"])
    soon = timezone.now() + timedelta(hours=1)
    access_grant(review=atlas, codename="view_review", actor=demo["admin"], reason="t", user=reviewer, expires_at=soon)
    terms_accept(review=atlas, user=reviewer)
    title = material["obsidian"].document.title
    for _ in range(2):  # the second time through kept statements
        assert [s[1] > 0 for s in _found(reviewer, "obsidian")] == [False, True, False, False]
        assert any(hit[0] == title for kind, _, hits in _found(reviewer, title) if kind == "document" for hit in hits)
        assert _found(reviewer, f"#{atlas.pk}")[0][1] == 1
    assert _kept_sites(reviewer) >= {"documents.title", "documents.text", "reviews.number"}
    with time_machine.travel(soon + timedelta(seconds=1)):
        for query in ("obsidian", title, f"#{atlas.pk}"):
            assert [s[1] for s in _found(reviewer, query)] == [0, 0, 0, 0], query


@pytest.mark.parametrize("role", ["admin", "reviewer_cisa", "liaison_northwind"])
def test_titles_and_file_names_past_the_first_matches_scope_the_same(demo, material, role, monkeypatch):
    """Past TITLE_MATCHES matching titles or file names the scoped query decides
    alone: it finds what scoping the first matches finds."""
    from search.selectors import documents

    user = demo[role]
    queries = ["model card", "lab notes", "cyber evaluation", "zircon"]
    usual = [_found(user, q, Filters(kinds=("document",))) for q in queries]
    assert any(result[0][1] for result in usual)
    monkeypatch.setattr(documents, "TITLE_MATCHES", 0)
    assert [_found(user, q, Filters(kinds=("document",))) for q in queries] == usual


def test_a_file_name_matches_what_was_typed_literally_through_its_kept_statement(demo, material, walk):
    """Part of a file name is matched as typed, ``_`` and ``%`` included (the
    pattern is built in SQL from the text, escaped there): "q7_plan" is not
    "q7-plan", and "7%" is not any name with a 7 — the first search and the
    one through the kept statement alike."""
    from search.selectors import documents as documents_module

    base = material["zircon"]
    DocumentVersion = type(base)
    version = DocumentVersion.objects.create(
        document=base.document, number=base.number + 1, file=base.file.name, original_name="Q7-plan-v2.txt", size=base.size,
        content_type="text/plain", sha256=base.sha256, uploaded_by=base.uploaded_by, scan_status="clean", marking=base.marking,
    )
    user = demo["admin"]
    only_documents = Filters(kinds=("document",))

    def documents(text):
        return [hit[1] for hit in _found(user, text, only_documents)[0][2]]

    found = documents("q7-plan")
    assert len(found) == 1 and found[0].endswith(f"/{version.document_id}/")
    for _ in range(2):
        assert documents("q7-plan") == found
        assert documents("q7_plan") == [] and documents("q7%plan") == [] and documents("plan-v2") == found
    # The names' own statement (not only the scoping of the ids it found) is kept.
    assert ("documents.name", documents_module.TITLE_MATCHES) in {key[2][1:3] for key, kept in statements.entries() if kept}


def _prepared_runs() -> dict[str, tuple[int, int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans, generic_plans FROM pg_prepared_statements")
        return {text: (runs, generic) for text, runs, generic in cursor.fetchall()}


def _from_table(text: str) -> str:
    return text.split(" FROM ", 1)[1].split()[0].strip('"')


def test_only_the_rows_found_by_id_run_prepared(demo, material, walk):
    """A kind's rows and snippets, read by the ids the search found, run
    prepared (their plan is the same whatever the words: the words only feed
    the headline, rank and exact-first order; PostgreSQL may then reuse a
    generic plan); the statements that match and scope — whose best plan
    depends on the words and the reader — are planned each time. The hits
    stay what the first search found."""
    user = demo["admin"]
    queries = ["zircon", "marmalade", "lanthanum", "Atlas"]
    first = [_found(user, q) for q in queries]
    before = _prepared_runs()
    for _ in range(6):
        assert [_found(user, q) for q in queries] == first
    grown = {text: (runs - before.get(text, (0, 0))[0], generic) for text, (runs, generic) in _prepared_runs().items()
             if runs != before.get(text, (0, 0))[0]}
    # The four kinds' rows and the documents' snippets: nothing that matches or scopes.
    assert sorted(_from_table(text) for text in grown) == [
        "documents_document", "documents_documentversion", "findings_finding", "reviews_review", "rfis_informationrequest",
    ]
    for text, (runs, _) in grown.items():
        assert "= ANY(" in text and "reviews_reviewreach" not in text and "termsacceptance" not in text, text
        # Six searches, each of the queries that reach it (one text's statement is every text's of its shape).
        assert runs in (6, 12, 18, 24), text
    assert all(any(count for _, count, _ in result) for result in first)
    # Their ids out of the planner's view (``any_of_unplanned``): each runs its
    # generic plan from its sixth run on, however few ids a search found —
    # with the ids in view, a question's, finding's or document's rows were
    # planned afresh every time.
    for text, (runs, generic) in grown.items():
        assert "= ANY((SELECT string_to_array(" in text and generic >= runs - 5, (_from_table(text), runs, generic)


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_a_searchs_unscoped_index_reads_are_one_statement_finding_what_each_finds_alone(demo, material, role, monkeypatch):
    """The exact names, titles' words, models' words and file names are read
    in one statement before the kinds start (``common.read_first``): a search
    finds exactly what it finds when each is read on its own, for every demo
    role — exact titles, subjects and model names typed among the queries."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search.selectors import common

    user = demo[role]
    queries = _queries(demo) + [
        material["zircon"].document.title, material["marmalade"].subject, material["lanthanum"].title, demo["helix"].model.name,
    ]

    def read(limit_text="LIMIT 5001"):  # every unscoped read stops at 5,001 ids (EXACT_, TITLE_ and MODEL_MATCHES + 1)
        found, reads = [], []
        for text in queries:
            with CaptureQueriesContext(connection) as ctx:
                found.append(_found(user, text))
            reads.append([q["sql"].count(limit_text) for q in ctx.captured_queries if limit_text in q["sql"]])
        return found, reads

    together, reads = read()
    # One statement per search, holding them all: a model's, and each kind's exact and title reads, a file name's when one could be typed.
    assert all(len(counts) == 1 and counts[0] >= 6 for counts in reads), reads

    @contextmanager
    def each_alone(reads, **kwargs):
        yield

    monkeypatch.setattr(common, "read_first", each_alone)
    alone, reads = read()
    assert all(len(counts) >= 6 and set(counts) == {1} for counts in reads), reads
    assert together == alone
    assert any(section[1] for result in alone for section in result)
