"""A search walked from its matches (search/probe.py) finds what the scoped
query finds: the same ids and counts, however many batches it takes, and
the scoped query's answer when it gives up."""

from __future__ import annotations

import re

import pytest

from findings import services as finding_services
from findings.models import Finding, FindingCategory
from search import probe
from search.selectors import Filters, search

pytestmark = pytest.mark.django_db


def _findings(demo, review, count: int, word: str, *, share: bool) -> list[Finding]:
    made = []
    for n in range(count):
        finding = finding_services.finding_create(
            review_id=review.pk, actor=demo["reviewer_nsa"], title=f"Finding {n}", category=FindingCategory.objects.first(),
            severity="low", description=f"The {word} path number {n}.",
        )
        if share:
            Finding.objects.filter(pk=finding.pk).update(sharing="agencies")
        made.append(finding)
    return made


def _found(user, word):
    [section] = search(user=user, text=word, filters=Filters(kinds=("finding",)), limit=200).sections
    return section.count, {hit.url for hit in section.hits}


@pytest.fixture
def walked(monkeypatch):
    """Every user walks the matches, in batches of 2 growing to 8 at most."""
    monkeypatch.setattr(probe, "walks_matches", lambda seen, reviews, cap: True)
    monkeypatch.setattr(probe, "FIRST_BATCH_MIN", 2)
    monkeypatch.setattr(probe, "LAST_BATCH", 8)
    real = probe.reach_for_matches
    monkeypatch.setattr(probe, "reach_for_matches", lambda user, cap: _small(real(user, cap=cap)))


def _small(reach):
    return None if reach is None else probe.Reach(reach.review_ids, 2)


def test_walk_grows_its_batches_until_the_scope_has_its_matches(demo, walked):
    # Three shared findings on Atlas-2 Mini (CISA sees them) behind four on Atlas-2, which CISA does not see.
    _findings(demo, demo["atlas"], 4, "periwinkle", share=True)
    inside = _findings(demo, demo["atlas_mini"], 3, "periwinkle", share=True)
    count, urls = _found(demo["reviewer_cisa"], "periwinkle")
    assert count == 3 and urls == {f"/findings/{f.pk}/" for f in inside}


def test_walk_gives_up_past_the_last_batch_and_the_scoped_query_answers(demo, walked):
    # Twelve matches out of CISA's sight come first; the walk stops at 8 and asks the scoped query.
    _findings(demo, demo["atlas"], 12, "cobalt", share=True)
    inside = _findings(demo, demo["atlas_mini"], 2, "cobalt", share=True)
    count, urls = _found(demo["reviewer_cisa"], "cobalt")
    assert count == 2 and urls == {f"/findings/{f.pk}/" for f in inside}


def _candidate_statements(user, text) -> tuple[tuple, list[str]]:
    """What a findings search finds, and its candidates statements (those
    reading the matches with their review ids)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        found = _found(user, text)
    return found, [q["sql"] for q in ctx.captured_queries
                   if q["sql"].startswith('SELECT "findings_finding"."id" AS "pk", "findings_finding"."review_id"')]


def _as_array(statement: str) -> bool:
    """Whether a candidates statement names the reviews as an array of ids (else through the reach rows)."""
    array = '"findings_finding"."review_id" = ANY(' in statement
    assert array != ("reviews_reviewreach" in statement), statement
    return array


@pytest.mark.usefixtures("empty_statement_cache")
def test_candidates_are_read_among_the_users_reviews_as_an_array_for_a_phrase_or_few_reviews(demo, monkeypatch):
    """A user who walks their reviews (the demo's sizes) reads a phrase's
    candidates among those reviews' ids, given as an array (PostgreSQL then
    combines their bitmap with the pairs'), and plain words' too while they
    see fewer than ARRAY_REVIEWS reviews; past that, words' through the
    reach rows. The same findings every way, the first time and kept."""
    from search.selectors import common

    _findings(demo, demo["atlas"], 4, "periwinkle", share=True)
    inside = _findings(demo, demo["atlas_mini"], 3, "periwinkle", share=True)
    cisa = demo["reviewer_cisa"]
    expected = (3, {f"/findings/{f.pk}/" for f in inside})
    assert probe.reach_for_matches(cisa, cap=100) is None
    for reviews, words_as_array in ((common.ARRAY_REVIEWS, True), (1, False)):
        monkeypatch.setattr(common, "ARRAY_REVIEWS", reviews)
        for _ in range(2):
            found, [statement] = _candidate_statements(cisa, '"periwinkle path"')
            assert found == expected and _as_array(statement)
            found, [statement] = _candidate_statements(cisa, "periwinkle path")
            assert found == expected and _as_array(statement) == words_as_array
            # Among a few reviews' ids, a finding's vector is checked row by row, not through its index.
            assert _row_by_row(statement) == words_as_array


def _row_by_row(statement: str) -> bool:
    """Whether a candidates statement checks each row's vector (a function no
    index answers) rather than asking the vector's index (``@@``)."""
    return "ts_match_vq" in statement and not _asks_the_index(statement)


def _asks_the_index(statement: str) -> bool:
    return re.search(r'search_vector"? @@', statement) is not None


def _periwinkle(demo):
    """A reviewer's finding, question and document text with the same two words."""
    from rfis import services as rfi_services

    from .conftest import text_version

    cisa = demo["reviewer_cisa"]
    findings = _findings(demo, demo["atlas_mini"], 2, "periwinkle", share=True)
    rfi = rfi_services.rfi_create(
        review_id=demo["atlas_mini"].pk, actor=cisa, subject="Sandbox routes", question="Is the periwinkle path logged?", private=True,
    )
    version = text_version(demo["helix"], word="periwinkle path", scan_status="clean")
    return cisa, {"finding": {f"/findings/{f.pk}/" for f in findings}, "rfi": {f"/rfis/{rfi.pk}/"},
                  "document": {f"/documents/{version.document_id}/#version-{version.number}"}}


def _candidates(user, text):
    """The search's results, and its candidate statements read among the reviews' ids, by table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        results = search(user=user, text=text, limit=50)
    among = {q["sql"].split(" FROM ")[1].split(" ")[0]: q["sql"] for q in ctx.captured_queries
             if q["sql"].split(" FROM ")[0].endswith('review_id"') and "= ANY(" in q["sql"]}
    return {s.kind: {h.url for h in s.hits} for s in results.sections if s.kind != "review"}, among


@pytest.mark.usefixtures("empty_statement_cache")
def test_texts_among_few_reviews_are_checked_row_by_row(demo):
    """Under ARRAY_REVIEWS reviews a word's candidates are read among the
    reviews' ids, each row's vector checked: questions, their messages,
    findings, their comments and documents' texts (the index's matches of a rare word were
    hashed against the reviews). The same results as through the index."""
    cisa, expected = _periwinkle(demo)
    found, among = _candidates(cisa, "periwinkle path")
    assert set(among) == {'"rfis_informationrequest"', '"rfis_rfimessage"', '"findings_finding"', '"findings_findingcomment"', '"documents_documenttext"'}
    assert all(_row_by_row(sql) and not _asks_the_index(sql) for sql in among.values())
    assert found == expected


@pytest.mark.usefixtures("empty_statement_cache")
def test_document_texts_are_checked_row_by_row_among_more_reviews_than_short_texts(demo, monkeypatch):
    """Between ARRAY_REVIEWS and DOCUMENT_ARRAY_REVIEWS reviews only the
    documents' texts are read among the reviews' ids (the short texts through
    the reach rows); past DOCUMENT_ARRAY_REVIEWS they too go through the reach
    rows and their index. The same results every way."""
    from search.selectors import common, documents

    cisa, expected = _periwinkle(demo)
    monkeypatch.setattr(common, "ARRAY_REVIEWS", 1)  # the reviewer's few reviews are "many" for short texts
    found, among = _candidates(type(cisa).objects.get(pk=cisa.pk), "periwinkle path")
    assert set(among) == {'"documents_documenttext"'}
    assert _row_by_row(among['"documents_documenttext"']) and not _asks_the_index(among['"documents_documenttext"'])
    assert found == expected

    monkeypatch.setattr(documents, "DOCUMENT_ARRAY_REVIEWS", 1)  # and for documents too
    found, among = _candidates(type(cisa).objects.get(pk=cisa.pk), "periwinkle path")
    assert among == {}
    assert found == expected


def test_walk_counts_past_the_cap_like_the_scoped_query(demo, monkeypatch):
    from search.selectors import common

    monkeypatch.setattr(common, "CAP", 5)
    _findings(demo, demo["atlas_mini"], 7, "saffron", share=True)
    _findings(demo, demo["atlas_mini"], 2, "saffron", share=False)  # NSA's own, internal: CISA never sees them
    monkeypatch.setattr(probe, "reach_for_matches", lambda user, cap: None)
    scoped = {who: _found(demo[who], "saffron")[0] for who in ("reviewer_cisa", "reviewer_nsa", "liaison_northwind")}
    monkeypatch.undo()
    monkeypatch.setattr(common, "CAP", 5)
    monkeypatch.setattr(probe, "walks_matches", lambda seen, reviews, cap: True)
    walked = {who: _found(demo[who], "saffron")[0] for who in ("reviewer_cisa", "reviewer_nsa", "liaison_northwind")}
    assert scoped == walked == {"reviewer_cisa": 6, "reviewer_nsa": 6, "liaison_northwind": 0}


@pytest.mark.parametrize("narrowed", ["review", "agency", "company", "dates"])
def test_a_search_a_filter_narrows_reads_the_scoped_query_and_never_walks(demo, walked, monkeypatch, narrowed):
    """A filter keeps few of the matches (one review, a company, dates) or
    some (an agency): walked, the search grew its batches to the last before
    the scoped query answered."""
    from django.utils import timezone

    inside = _findings(demo, demo["atlas_mini"], 3, "periwinkle", share=True)
    _findings(demo, demo["atlas"], 4, "periwinkle", share=True)  # out of CISA's sight
    walks = []
    real = probe.walk
    monkeypatch.setattr(probe, "walk", lambda *args, **kwargs: walks.append(1) or real(*args, **kwargs))
    assert _found(demo["reviewer_cisa"], "periwinkle") == (3, {f"/findings/{f.pk}/" for f in inside}) and walks
    today = timezone.localdate()
    filters = {"review": {"review_id": demo["atlas_mini"].pk}, "agency": {"agency_id": demo["nsa"].pk},
               "company": {"company_id": demo["atlas_mini"].company_id}, "dates": {"date_from": today, "date_to": today}}[narrowed]
    walks.clear()
    [section] = search(user=demo["reviewer_cisa"], text="periwinkle", filters=Filters(kinds=("finding",), **filters), limit=200).sections
    assert (section.count, {hit.url for hit in section.hits}) == (3, {f"/findings/{f.pk}/" for f in inside}) and not walks


def test_walks_matches_only_for_a_large_share_of_reviews():
    assert not probe.walks_matches(500, 100_000, cap=100)
    assert probe.walks_matches(20_000, 100_000, cap=100)
    assert not probe.walks_matches(20, 20, cap=100)  # the demo: 20 reviews are walked from the scope


@pytest.mark.parametrize("role", ["admin", "lead_nsa", "reviewer_cisa", "liaison_northwind", "liaison_contoso"])
def test_visible_to_among_is_visible_to_on_those_reviews(demo, material, role):
    """What a confirmation asks (search.probe): the rows of some reviews, the
    grants read for those reviews only — the same rows as visible_to, there."""
    from documents.models import Document, DocumentVersion
    from reviews.models import Review
    from rfis.models import InformationRequest

    user = demo[role]
    among = [demo["atlas"].pk, demo["helix"].pk]
    for model, path in ((Document, "review_id"), (DocumentVersion, "document__review_id"),
                        (InformationRequest, "review_id"), (Finding, "review_id")):
        expected = set(model.objects.visible_to(user).filter(**{f"{path}__in": among}).values_list("pk", flat=True))
        assert set(model.objects.visible_to(user, among=among).values_list("pk", flat=True)) == expected, (role, model)
        assert not model.objects.visible_to(user, among=[]).exists()
    assert Review.objects.filter(pk__in=among).count() == 2


def test_connections_start_every_scan_at_the_first_page(db):
    """What keeps a search's unordered candidates the same from one run to the
    next on large tables (search/apps.py): every connection the portal opens
    turns synchronized sequential scans off."""
    from django.db import connections

    fresh = connections.create_connection("default")  # a new connection: connection_created fires
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SHOW synchronize_seqscans")
            assert cursor.fetchone()[0] == "off"
    finally:
        fresh.close()


def test_comments_are_read_only_while_the_findings_own_words_leave_room_under_the_cap(demo, monkeypatch):
    """Past CAP findings found by their own words the count shows "CAP+" and
    no comment is read (the statement that costs the kind most); below it a
    finding found only by a comment is counted and shown."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search.selectors import material

    reviewer = demo["reviewer_nsa"]
    own = _findings(demo, demo["atlas"], 2, "ilmenite", share=False)
    commented = finding_services.finding_create(
        review_id=demo["atlas"].pk, actor=reviewer, title="Other", category=own[0].category, severity="low", description="Other.",
    )
    finding_services.finding_comment(finding_id=commented.pk, actor=reviewer, body="Also ilmenite.", internal=True)

    def found():
        with CaptureQueriesContext(connection) as ctx:
            (section,) = search(user=reviewer, text="ilmenite", filters=Filters(kinds=("finding",))).sections
        read_comments = any("findings_findingcomment" in q["sql"] for q in ctx.captured_queries)
        return section.count, {h.pk for h in section.hits}, read_comments

    assert found() == (3, {f.pk for f in own} | {commented.pk}, True)
    monkeypatch.setattr(material, "CAP", 1)  # the findings' own two are past it
    count, hits, read_comments = found()
    assert (count, read_comments) == (2, False) and hits == {f.pk for f in own}
