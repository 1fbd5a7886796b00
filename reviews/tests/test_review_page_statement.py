"""The statement every page about a review starts with (``review_page_get``) is
compiled once per reader and process (``portal.statements``): what it answers
must be what a freshly compiled one answers, for every demo role, and a grant
that expires or is taken away between two pages must count on the second."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from conftest import DEMO_ROLES
from portal import statements
from reviews import selectors, services


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_statement_cache")]

KINDS = [(False, False), (True, False), (True, True)]  # (summaries, creator): other pages, the review's own page


def _read(user, pk, summaries, creator):
    """Everything the page reads from the statement, or "404"."""
    try:
        review, standing = selectors.review_page_get(user=user, pk=pk, summaries=summaries, creator=creator)
    except Http404:
        return "404"
    values = {f.attname: getattr(review, f.attname) for f in type(review)._meta.concrete_fields}
    extra = {k: v for k, v in vars(review).items() if not k.startswith("_") and k not in values}
    related = (review.model.name, review.company.name)
    if creator and review.created_by_id:
        person = review.created_by
        related += (person.email, getattr(person.membership.agency, "acronym", None), getattr(person.membership.company, "name", None))
    return values, extra, related, standing


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_review_page_statement_kept_compiled_answers_what_a_fresh_one_does(demo, role, settings):
    user = demo[role]
    reviews = [demo[name] for name in ("atlas", "helix", "atlas_mini")]
    for summaries, creator in KINDS:
        settings.PORTAL_STATEMENT_CACHE = False
        fresh = [_read(user, r.pk, summaries, creator) for r in reviews]
        settings.PORTAL_STATEMENT_CACHE = True
        cached_first = [_read(user, r.pk, summaries, creator) for r in reviews]
        cached_again = [_read(user, r.pk, summaries, creator) for r in reviews]
        assert cached_first == fresh and cached_again == fresh, (role, summaries, creator)
        # The page's counts were read (not left out of the kept statement).
        if summaries:
            assert all("document_count" in row[1] and "open_rfi_count" in row[1] for row in fresh if row != "404")
        # One entry for this kind of page and reader (the settings change emptied the others), kept
        # compiled: the speed-up is real for every role.
        held = [cached for key, cached in statements.entries() if key[2][0] == "reviews.review_page_get"]
        assert held == [True], (role, summaries, creator)


def test_review_page_statement_is_one_query_when_kept(demo):
    user, review = demo["reviewer_cisa"], demo["atlas_mini"]
    selectors.review_detail_get(user=user, pk=review.pk)  # compiles and keeps it
    with CaptureQueriesContext(connection) as queries:
        page = selectors.review_detail_get(user=user, pk=review.pk)
    assert len(queries) == 1 and page.review.pk == review.pk and page.standing.acts_for_agency


def test_review_page_honours_a_grant_expiring_between_two_pages(closed_with_grace):
    """Same reader, same kept statement: only "now" moved, past the grant's expiry."""
    reviewer, review, other, closed_at = closed_with_grace
    with time_machine.travel(closed_at + timedelta(days=29, hours=23), tick=False):
        assert selectors.review_page_get(user=reviewer, pk=review.pk).review.pk == review.pk
    with time_machine.travel(closed_at + timedelta(days=30, seconds=1), tick=False):
        with pytest.raises(Http404):
            selectors.review_page_get(user=reviewer, pk=review.pk)
        # The same kept statement still opens the review whose grant has not expired.
        assert selectors.review_page_get(user=reviewer, pk=other.pk).standing.may_view
    # One kept statement for both pages (and the close's warnings, read as it closed).
    pages = [cached for key, cached in statements.entries() if key[2][0] == "reviews.review_page_get"]
    assert pages == [True]


def test_review_page_honours_an_assignment_removed_between_two_pages(demo):
    user, review = demo["reviewer_cisa"], demo["atlas_mini"]
    assert selectors.review_page_get(user=user, pk=review.pk).standing.assignment_accepted
    assignment = review.assignments.get(reviewer=user)
    services.assignment_remove(assignment_id=assignment.pk, actor=demo["lead_cisa"], reason="Moved to another review")
    with pytest.raises(Http404):
        selectors.review_page_get(user=user, pk=review.pk)


def test_review_page_follows_a_readers_new_role(demo):
    """A reviewer made lead of their agency is a new reader: their lead's standing shows on the next page."""
    user, review = demo["reviewer_cisa"], demo["atlas_mini"]
    assert not selectors.review_page_get(user=user, pk=review.pk).standing.is_lead
    user.membership.role = Role.AGENCY_LEAD
    user.membership.save(update_fields=["role"])
    standing = selectors.review_page_get(user=user, pk=review.pk).standing
    assert standing.is_lead and standing.acts_for_agency
    assert len([key for key, _ in statements.entries()]) == 2


def _rows(rows) -> list:
    """What a template reads of each row: its fields, the related rows loaded
    with it, and the prefetched extension positions."""
    out = []
    for row in rows:
        values = {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}
        loaded = sorted(row._state.fields_cache)
        positions = [p.pk for p in row.positions.all()] if hasattr(row, "positions") else None
        out.append((type(row).__name__, values, loaded, positions))
    return out


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_review_page_rows_kept_answer_what_fresh_ones_do(demo, role, settings):
    review = demo["atlas_mini"]
    # A pending extension with another agency's position, so the prefetch has a row to find.
    extension = services.extension_request(review_id=review.pk, actor=demo["lead_nsa"], days=5, reason="More red-teaming")
    services.extension_position(extension_id=extension.pk, actor=demo["lead_cisa"], supports=True, note="Agreed")
    user = demo[role]
    try:
        _, standing = selectors.review_page_get(user=user, pk=review.pk)
    except Http404:
        assert role == "liaison_contoso"
        return
    settings.PORTAL_STATEMENT_CACHE = False
    fresh = {name: _rows(rows) for name, rows in selectors.review_page_rows(user=user, standing=standing).items()}
    settings.PORTAL_STATEMENT_CACHE = True
    first = {name: _rows(rows) for name, rows in selectors.review_page_rows(user=user, standing=standing).items()}
    with CaptureQueriesContext(connection) as queries:
        again = selectors.review_page_rows(user=user, standing=standing)
        again = {name: _rows(rows) for name, rows in again.items()}
    assert first == fresh and again == fresh
    # Six kept statements (a company five) and the positions' prefetch; nothing loaded row by row. The
    # company is shown no reviewers: that list is not asked for (nothing to run or keep).
    company = standing.is_company
    assert len(queries) == (6 if company else 7), [q["sql"][:80] for q in queries.captured_queries]
    assert [row[1]["id"] for row in fresh["extensions"]] == [extension.pk] and fresh["extensions"][0][3]
    assert fresh["timeline"] and bool(fresh["assignments"]) is not company
    held = {key[2][1]: cached for key, cached in statements.entries() if key[2][0] == "reviews.review_page_rows"}
    assert [row[1]["acronym"] for row in fresh["agencies"]] == sorted(a.acronym for a in review.agencies.all())
    expected = {"agencies": True, "sign_offs": True, "extensions": True, "assignments": True, "certificates": True, "timeline": True}
    if company:
        del expected["assignments"]  # a company is shown no reviewers: nothing asked
    assert held == expected


def test_review_page_rows_follow_the_review_asked_about(demo):
    """One kept statement per list, the review's id its parameter: another review's rows, not the first's."""
    user = demo["admin"]
    mini = selectors.review_page_rows(user=user, standing=selectors.review_page_get(user=user, pk=demo["atlas_mini"].pk).standing)
    atlas = selectors.review_page_rows(user=user, standing=selectors.review_page_get(user=user, pk=demo["atlas"].pk).standing)
    assert {t.review_id for t in mini["timeline"]} == {demo["atlas_mini"].pk}
    assert {t.review_id for t in atlas["timeline"]} == {demo["atlas"].pk}
    assert {a.review_id for a in atlas["assignments"]} <= {demo["atlas"].pk}


def test_closing_warnings_kept_follow_the_review_and_each_change(demo, settings):
    """The close's warnings (open questions, unshared findings, agencies without
    an accepted reviewer) are read through kept statements, the review's id
    their one parameter: each review gets its own, and a question asked a
    moment ago counts on the next call."""
    from findings.models import Finding, Sharing
    from rfis.services import rfi_create

    reviews = [demo["atlas_mini"], demo["atlas"]]
    settings.PORTAL_STATEMENT_CACHE = False
    fresh = [services.closing_warnings(r) for r in reviews]
    settings.PORTAL_STATEMENT_CACHE = True
    assert [services.closing_warnings(r) for r in reviews] == fresh
    assert fresh[0] != fresh[1]  # each its own review's, not the first one asked about
    held = {key[2][0]: cached for key, cached in statements.entries()}
    assert held == {"reviews.closing_warnings.bare": True, "rfis.closing_warnings": True, "findings.closing_warnings": True}

    review = demo["atlas_mini"]
    open_before = review.rfis.filter(status="open").count()
    unshared = Finding.objects.filter(review=review, sharing=Sharing.INTERNAL).count()
    assert fresh[0][0] == f"{open_before} questions to the company are still open."
    assert f"NSA: {unshared} finding not shared beyond the agency." in fresh[0]
    rfi_create(review_id=review.pk, actor=demo["lead_nsa"], subject="Eval seeds", question="Which seeds were used?")
    assert services.closing_warnings(review)[0] == f"{open_before + 1} questions to the company are still open."
