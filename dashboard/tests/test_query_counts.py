"""Each dashboard runs a fixed number of queries: every inbox section and chart
is one statement whether it holds no row or many (no query per item)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.inbox import inbox_for
from findings import services as finding_services
from reviews import services
from reviews.models import Assignment, Review
from reviews.tests.factories import make_review
from rfis import services as rfi_services
from rfis.models import InformationRequest

pytestmark = pytest.mark.django_db

ROLES = ("reviewer_nsa", "lead_nsa", "liaison_northwind", "admin")
# Session, user, the bell's count and newest, the role's list (count, page ids,
# rows; + coverage for leads — their assignments, then their people once each —
# + models for liaisons), one statement per inbox
# section and for the stopped clocks (each holds at most LIMIT rows here); for
# the program office also its 4 charts (the burn-down: 2 — its rows with
# their count, their clock stops; the states, turnaround and findings figures
# are counted at the first visit and kept for OFFICE_FIGURES_TTL: dashboard/charts.py).
EXPECTED = {"reviewer_nsa": 12, "lead_nsa": 14, "liaison_northwind": 12, "admin": 13}


def make_busy(demo):
    """Something in every section of the four roles' inboxes."""
    now = timezone.now()
    atlas, mini, helix = demo["atlas"], demo["atlas_mini"], demo["helix"]
    lead, reviewer, liaison = demo["lead_nsa"], demo["reviewer_nsa"], demo["liaison_northwind"]
    for review in (atlas, mini):
        services.terms_accept(review=review, user=lead)
        services.terms_accept(review=review, user=reviewer)
    # Reviewer: an invitation (late, so the lead is told), an answered question, a stopped clock, new terms on Atlas-2.
    shared = make_review(company=demo["northwind"], agencies=[demo["nsa"], demo["cisa"]], status="submitted", liaison=liaison)
    invitation = services.assignment_invite(review=shared, reviewer=reviewer, actor=lead)
    Assignment.objects.filter(pk=invitation.pk).update(invited_at=now - timedelta(days=3))
    rfi_services.rfi_answer(rfi_id=atlas.rfis.get().pk, actor=liaison, body="Attached.")
    rfi_services.rfi_create(review_id=mini.pk, actor=reviewer, subject="Key refused", question="?", blocking=True)
    # Lead: a review without an NSA reviewer, an extension request, an overdue question.
    make_review(company=demo["northwind"], agencies=[demo["nsa"]], status="submitted", liaison=liaison)
    services.extension_request(review_id=mini.pk, actor=lead, days=3, reason="Lab outage.")
    InformationRequest.objects.filter(review=mini, agency=demo["nsa"], blocking=False).update(due_at=now - timedelta(days=4))
    # Liaison: a finding shared with the company, a draft.
    finding_services.finding_share(finding_id=atlas.findings.get().pk, actor=lead, sharing="company")
    services.review_create(actor=liaison, model=atlas.model, agencies=[demo["nsa"]])
    # Program office: a review past its window.
    Review.objects.filter(pk=helix.pk).update(window_end=now - timedelta(days=1))
    services.terms_update(review=mini, actor=liaison, text="New terms.")  # the reviewer's to accept
    services.terms_accept(review=mini, user=lead)
    for name in ROLES:
        inbox = inbox_for(demo[name])
        empty = [s.key for s in inbox.sections if not s.count]
        assert (empty, inbox.stopped_count) == ([], 1), name


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("dashboard")).status_code == 200
    return len(ctx)


def test_dashboard_query_count_does_not_grow_with_what_there_is_to_do(demo, login):
    from django.test import Client

    from conftest import force_login_mfa

    clients = {}
    for name in ROLES:
        clients[name] = Client()
        force_login_mfa(clients[name], demo[name])
        dashboard_queries(clients[name])  # warm the session
    quiet = {name: dashboard_queries(clients[name]) for name in ROLES}
    make_busy(demo)
    busy = {name: dashboard_queries(clients[name]) for name in ROLES}
    assert quiet == busy == EXPECTED


def _section_rows(demo, qs, site: str):
    """``inbox._rows`` over ``qs`` as a section of the program admin's (``site``: one kept statement per queryset)."""
    from django.utils import timezone

    from dashboard import inbox

    return inbox._rows(lambda now: qs, ["window_end", "id"], site=(site,), user=demo["admin"], now=timezone.now())


def test_few_rows_sorted_in_python_as_the_database_sorts_them(demo, monkeypatch):
    """A section with at most LIMIT rows is read unordered and sorted here
    (ascending, NULLs last); with more, the database orders and limits: same order."""
    from dashboard import inbox
    from reviews.models import Review

    qs = Review.objects.all()
    Review.objects.filter(pk=qs.order_by("id").first().pk).update(window_start=None, window_end=None)
    expected = list(qs.order_by("window_end", "id").values_list("pk", flat=True))
    assert any(r.window_end is None for r in qs) and any(r.window_end is not None for r in qs)
    monkeypatch.setattr(inbox, "LIMIT", len(expected))
    count, rows = _section_rows(demo, qs, "all")
    assert count == len(expected) and [r.pk for r in rows] == expected
    monkeypatch.setattr(inbox, "LIMIT", 2)
    count, rows = _section_rows(demo, qs, "all")
    assert count == len(expected) and [r.pk for r in rows] == expected[:2]


def test_a_section_costs_one_statement_until_it_overflows_then_two(demo, monkeypatch, django_assert_num_queries):
    """Up to LIMIT rows: one unordered read is the whole section. Past LIMIT:
    that read, then the first LIMIT rows by the ids of a subquery (sorting
    the ids alone, not every row joined: 4-7 ms -> ~1 for a liaison's open
    questions at bench scale) with the count — never more."""
    from dashboard import inbox
    from reviews.models import Review

    qs = Review.objects.all()
    total = qs.count()
    monkeypatch.setattr(inbox, "LIMIT", total)
    with django_assert_num_queries(1):
        assert _section_rows(demo, qs, "all")[0] == total
    monkeypatch.setattr(inbox, "LIMIT", total - 1)
    with django_assert_num_queries(2):
        count, rows = _section_rows(demo, qs, "all")
    assert (count, len(rows)) == (total, total - 1)
    assert [r.pk for r in rows] == list(qs.order_by("window_end", "id").values_list("pk", flat=True)[: total - 1])
    with django_assert_num_queries(1):
        assert _section_rows(demo, qs.filter(pk=0), "none") == (0, [])


def _drafts_section():
    """Three of the demo's reviews in review made drafts: a section of the
    drafts (every draft, in window order) and its ids in that order."""
    from reviews.models import Review, ReviewStatus

    drafts = list(Review.objects.filter(status=ReviewStatus.IN_REVIEW).order_by("window_end", "id")[:3])
    Review.objects.filter(pk__in=[r.pk for r in drafts]).update(status=ReviewStatus.DRAFT)
    section = Review.objects.filter(status=ReviewStatus.DRAFT)
    expected = list(section.order_by("window_end", "id").values_list("pk", flat=True))
    assert len(expected) >= 3
    return section, expected


def test_an_overflowing_section_skips_its_first_read_until_it_fits_again(demo, monkeypatch, django_assert_num_queries):
    """A section that held more than LIMIT rows is read the fuller way at once
    next time (its first rows with the count: one statement, not two); one
    that shrank meanwhile still comes out right that way and is back to its
    unordered first read after."""
    from dashboard import inbox
    from reviews.models import Review, ReviewStatus

    monkeypatch.setattr(inbox, "LIMIT", 1)
    section, expected = _drafts_section()
    with django_assert_num_queries(2):
        count, rows = _section_rows(demo, section, "drafts")
    assert (count, [r.pk for r in rows]) == (len(expected), expected[:1])
    with django_assert_num_queries(1):
        count, rows = _section_rows(demo, section, "drafts")
    assert (count, [r.pk for r in rows]) == (len(expected), expected[:1])
    Review.objects.filter(pk__in=expected[:-1]).update(status=ReviewStatus.IN_REVIEW)  # one draft left
    with django_assert_num_queries(1):
        count, rows = _section_rows(demo, section, "drafts")
    assert (count, [r.pk for r in rows]) == (1, expected[-1:])
    with django_assert_num_queries(1):
        count, rows = _section_rows(demo, section, "drafts")
    assert (count, [r.pk for r in rows]) == (1, expected[-1:])


def test_a_section_ordered_in_the_database_only_is_not_remembered(demo, monkeypatch):
    """A descending or joined order never takes the unordered first read, so
    its overflow is not kept (it would only crowd out sections that use it)."""
    from django.utils import timezone

    from dashboard import inbox
    from reviews.models import Review

    monkeypatch.setattr(inbox, "LIMIT", 1)
    qs = Review.objects.all()
    count, rows = inbox._rows(lambda now: qs, ["-window_end", "id"], site=("descending",), user=demo["admin"], now=timezone.now())
    assert (count, len(rows)) == (qs.count(), 1)
    assert dict(inbox._overflowed_keys) == {}
    inbox._rows(lambda now: qs, ["window_end", "id"], site=("ascending",), user=demo["admin"], now=timezone.now())
    assert [key[0] for key in inbox._overflowed_keys] == ["ascending"]


def test_a_full_section_in_index_order_reads_its_rows_and_count_in_one_statement_next_time(demo, monkeypatch, django_assert_num_queries):
    """A section read in its index's order (``indexed``) that held more than
    LIMIT rows is read next time as its first LIMIT rows with its count (an
    InitPlan: one statement, not two); the count stops past COUNT_CAP; one
    that shrank meanwhile comes out right that way and is back to its first
    read after."""
    from django.utils import timezone

    from dashboard import inbox
    from reviews.models import Review, ReviewStatus

    def read(qs):
        return inbox._rows(lambda now: qs, ["window_end", "id"], site=("indexed",), user=demo["admin"], now=timezone.now(), indexed=True)

    monkeypatch.setattr(inbox, "LIMIT", 1)
    monkeypatch.setattr(inbox, "COUNT_CAP", 1)
    section, expected = _drafts_section()
    with django_assert_num_queries(2):  # the first two rows in order, then the count
        count, rows = read(section)
    assert (count, [r.pk for r in rows]) == (2, expected[:1])  # counted to COUNT_CAP + 1
    with django_assert_num_queries(1):
        count, rows = read(section)
    assert (count, [r.pk for r in rows]) == (2, expected[:1])
    monkeypatch.setattr(inbox, "COUNT_CAP", 1000)  # another key: read as new, then in one statement
    for statements in (2, 1):
        with django_assert_num_queries(statements):
            count, rows = read(section)
        assert (count, [r.pk for r in rows]) == (len(expected), expected[:1])
    Review.objects.filter(pk__in=expected[:-1]).update(status=ReviewStatus.IN_REVIEW)  # one draft left
    with django_assert_num_queries(1):
        count, rows = read(section)
    assert (count, [r.pk for r in rows]) == (1, expected[-1:])
    with django_assert_num_queries(1):  # fits again: its first read alone
        count, rows = read(section)
    assert (count, [r.pk for r in rows]) == (1, expected[-1:])
    Review.objects.filter(pk__in=expected).update(status=ReviewStatus.IN_REVIEW)
    assert read(section) == (0, [])


def test_a_capped_count_counts_rows_distinct_or_not(demo, monkeypatch):
    """``capped_count`` as another statement's column: the rows of a plain
    queryset, of a DISTINCT one (told apart by their ids), stopped past COUNT_CAP."""
    from django.db.models import Value

    from accounts.models import User
    from dashboard import inbox
    from reviews.models import Review

    def counted(qs):
        return User.objects.filter(pk=demo["admin"].pk).annotate(n=inbox.capped_count(qs)).values_list("n", flat=True).get()

    reviews = Review.objects.all()
    doubled = Review.objects.filter(agencies__isnull=False)  # a review once per participating agency
    assert doubled.count() > doubled.distinct().count() == reviews.filter(agencies__isnull=False).distinct().count()
    assert counted(reviews) == reviews.count()
    assert counted(doubled) == doubled.count()
    assert counted(doubled.distinct()) == doubled.distinct().count()
    monkeypatch.setattr(inbox, "COUNT_CAP", 1)
    assert counted(reviews) == 2 and counted(reviews.filter(pk=0)) == 0
    assert counted(reviews.annotate(one=Value(1))) == 2
