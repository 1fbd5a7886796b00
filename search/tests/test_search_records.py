"""Searches are part of the record: every answered search request is kept
(search.models.SearchRecord), and a reader's settled run of them becomes one
``search.run`` audit event (search.services.search_records_fold)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.verify import verify_chain
from search import services
from search.models import SearchRecord
from search.tasks import fold_search_records

from .conftest import held_by_another_connection

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Target": "search-results"}


def _records():
    return list(SearchRecord.objects.order_by("id").values_list("actor_label", "actor_organisation", "via", "text", "filters", "found"))


def test_each_answered_search_request_is_recorded_with_what_it_showed(demo, login, material):
    client = login(demo["reviewer_nsa"])
    email = demo["reviewer_nsa"].email
    first = client.get(reverse("search"), {"q": "obsid"}, headers=HTMX)
    second = client.get(reverse("search"), {"q": "obsidian", "type": "document"}, headers={**HTMX, "X-Request-ID": "req-0123456789"})
    assert first.status_code == second.status_code == 200
    assert "<strong>1</strong> document" in second.content.decode()
    assert _records() == [
        (email, "NSA", "page", "obsid", {}, {"reviews": "0", "documents": "0", "questions": "0", "findings": "0"}),
        (email, "NSA", "page", "obsidian", {"type": "document"}, {"documents": "1"}),
    ]
    last = SearchRecord.objects.latest("id")
    assert (last.user_id, last.request_id, last.client_address) == (demo["reviewer_nsa"].pk, "req-0123456789", "127.0.0.1")
    # Recorded, not yet in the chained trail: no lock on the chain's head per keystroke.
    assert not AuditEvent.objects.filter(action="search.run").exists()


def test_a_page_without_words_or_with_a_refused_field_records_nothing(demo, login, material):
    client = login(demo["reviewer_nsa"])
    empty = client.get(reverse("search"))
    # The reader is told before typing.
    assert "Like every view, each search is recorded in the audit trail." in empty.content.decode()
    refused = client.get(reverse("search"), {"q": "obsidian", "date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "The end date is before the start date." in refused.content.decode()
    assert _records() == []


def test_a_page_that_fails_to_draw_records_nothing(demo, login, material, monkeypatch):
    import search.views

    def broken(*args, **kwargs):
        raise RuntimeError("a template failed")

    client = login(demo["reviewer_nsa"])
    monkeypatch.setattr(search.views, "render", broken)
    for headers in ({}, HTMX):
        with pytest.raises(RuntimeError):
            client.get(reverse("search"), {"q": "obsidian"}, headers=headers)
    assert _records() == []


def _record(user, at, text, *, via="page", filters=None, found=None, request_id="", address="10.0.0.1"):
    return SearchRecord.objects.create(
        at=at, user=user, actor_label=user.email, actor_organisation=str(user.organisation or "Program office"), via=via,
        text=text, filters=filters or {}, found=found or {"documents": "1"}, client_address=address, request_id=request_id,
    )


def _events():
    return list(
        AuditEvent.objects.filter(action="search.run").order_by("id")
        .values_list("actor_id", "actor_label", "actor_organisation", "review_id", "client_address", "request_id", "payload")
    )


def test_a_settled_run_becomes_one_event_and_its_records_go(demo):
    now = timezone.now()
    nsa, liaison, admin = demo["reviewer_nsa"], demo["liaison_northwind"], demo["admin"]
    t0 = now - timedelta(minutes=5)
    # The NSA reviewer types one search, waits past SETTLE, then narrows another to a review.
    for i, text in enumerate(["ob", "obs", "obs", "obsidian"]):
        _record(nsa, t0 + timedelta(seconds=i), text, request_id=f"nsa-{i}")
    review = {"review": demo["atlas"].pk}
    _record(nsa, t0 + timedelta(seconds=30), "zircon", filters=review, found={"documents": "0"}, request_id="nsa-later")
    # The same words again with another filter: a run of its own.
    _record(nsa, t0 + timedelta(seconds=31), "zircon", filters={**review, "type": "document"}, request_id="nsa-typed")
    # Two API calls a second apart are two runs.
    _record(liaison, t0, "atlas", via="api", request_id="api-1")
    _record(liaison, t0 + timedelta(seconds=1), "atlas", via="api", request_id="api-2")
    # The office is still typing: its older records wait for the next fold with its newest.
    _record(admin, now - timedelta(seconds=40), "helix", request_id="admin-0")
    _record(admin, now - timedelta(seconds=2), "helix-1", request_id="admin-1")

    assert services.search_records_fold(now=now) == 5

    def span(a, b):
        at = t0.replace(microsecond=0)
        return {"from": (at + timedelta(seconds=a)).isoformat(), "until": (at + timedelta(seconds=b)).isoformat()}

    base = {"found": {"documents": "1"}, "filters": {}}
    assert _events() == [
        (nsa.pk, nsa.email, "NSA", None, "10.0.0.1", "nsa-3", {
            "searched_for": "obsidian", **base, "via": "search page", "requests": 4, "typed": ["ob", "obs", "obsidian"], **span(0, 3),
        }),
        (nsa.pk, nsa.email, "NSA", None, "10.0.0.1", "nsa-later", {
            "searched_for": "zircon", "filters": review, "found": {"documents": "0"}, "via": "search page", "requests": 1, **span(30, 30),
        }),
        (nsa.pk, nsa.email, "NSA", None, "10.0.0.1", "nsa-typed", {
            "searched_for": "zircon", "filters": {**review, "type": "document"}, "found": {"documents": "1"}, "via": "search page",
            "requests": 1, **span(31, 31),
        }),
        (liaison.pk, liaison.email, "Northwind AI", None, "10.0.0.1", "api-1", {
            "searched_for": "atlas", **base, "via": "API", "requests": 1, **span(0, 0),
        }),
        (liaison.pk, liaison.email, "Northwind AI", None, "10.0.0.1", "api-2", {
            "searched_for": "atlas", **base, "via": "API", "requests": 1, **span(1, 1),
        }),
    ]
    assert sorted(SearchRecord.objects.values_list("request_id", flat=True)) == ["admin-0", "admin-1"]
    assert verify_chain()[1] is None
    # Folding again writes nothing twice; once the office has stopped, its run is written.
    assert services.search_records_fold(now=now) == 0
    assert services.search_records_fold(now=now + timedelta(seconds=11)) == 2
    assert [p["searched_for"] for *_, p in _events()[5:]] == ["helix", "helix-1"]
    assert not SearchRecord.objects.exists()


def test_the_words_of_a_long_run_are_listed_up_to_a_bound_and_the_rest_counted(demo, monkeypatch):
    monkeypatch.setattr(services, "TYPED_KEPT", 3)
    start = timezone.now() - timedelta(minutes=1)
    for i, text in enumerate(["a", "ab", "abc", "abcd", "abcde"]):
        _record(demo["reviewer_nsa"], start + timedelta(seconds=i), text)
    assert services.search_records_fold() == 1
    payload = _events()[0][-1]
    assert (payload["requests"], payload["typed"], payload["typed_not_listed"]) == (5, ["a", "ab", "abc"], 2)


def test_the_searches_of_an_account_deleted_since_keep_its_name(demo):
    start = timezone.now() - timedelta(minutes=1)
    record = _record(demo["reviewer_nsa"], start, "obsidian")
    SearchRecord.objects.filter(pk=record.pk).update(user_id=10**9, actor_label="gone@agency.example")
    assert services.search_records_fold() == 1
    assert _events()[0][:3] == (None, "gone@agency.example", "NSA")


def test_a_backlog_is_folded_a_few_rows_at_a_time_without_splitting_a_run(demo):
    start = timezone.now() - timedelta(hours=2)
    readers = ["reviewer_nsa", "liaison_northwind", "admin", "lead_nsa", "reviewer_cisa"]
    for n, role in enumerate(readers):
        _record(demo[role], start + timedelta(minutes=n), f"word{n}")
        _record(demo[role], start + timedelta(minutes=n, seconds=1), f"word{n}s")
    with CaptureQueriesContext(connection) as ctx:
        assert services.search_records_fold(rows_at_once=3) == 5
    # Five transactions of three rows at most, each leaving the run it cut to the next; a sixth finds none left.
    assert sum("FOR UPDATE SKIP LOCKED" in q["sql"] for q in ctx.captured_queries) == 6
    assert sorted(p["typed"] for *_, p in _events()) == [[f"word{n}", f"word{n}s"] for n in range(5)]
    assert not SearchRecord.objects.exists()


def test_a_run_longer_than_a_batch_is_written_in_parts(demo):
    start = timezone.now() - timedelta(minutes=5)
    for i, text in enumerate(["a", "ab", "abc"]):
        _record(demo["reviewer_nsa"], start + timedelta(seconds=i), text)
    assert services.search_records_fold(rows_at_once=2) == 2
    assert [(p["typed"] if "typed" in p else [p["searched_for"]], p["requests"]) for *_, p in _events()] == [(["a", "ab"], 2), (["abc"], 1)]


def test_a_fold_that_fails_midway_keeps_each_batch_whole(demo, monkeypatch):
    """The second batch's events are written, then the worker fails before its
    records are deleted: that batch leaves nothing, the first stays done."""
    start = timezone.now() - timedelta(minutes=1)
    _record(demo["reviewer_nsa"], start, "obsidian")
    _record(demo["liaison_northwind"], start, "atlas")
    real, batches = services.audit_record_many, []

    def second_fails_after_writing(entries):
        events = real(entries)
        batches.append([e.actor_label for e in events])
        if len(batches) == 2:
            raise OSError("the worker's disk failed")
        return events

    monkeypatch.setattr(services, "audit_record_many", second_fails_after_writing)
    with pytest.raises(OSError):
        services.search_records_fold(rows_at_once=1)
    # Reader by reader (by account id): the NSA reviewer's batch, then the liaison's.
    assert batches == [[demo["reviewer_nsa"].email], [demo["liaison_northwind"].email]]
    assert [label for _, label, *_ in _events()] == [demo["reviewer_nsa"].email]
    assert list(SearchRecord.objects.values_list("text", flat=True)) == ["atlas"]
    monkeypatch.setattr(services, "audit_record_many", real)
    assert fold_search_records() == 1
    assert [p["searched_for"] for *_, p in _events()] == ["obsidian", "atlas"]
    assert not SearchRecord.objects.exists()
    assert verify_chain()[1] is None


@pytest.mark.django_db(transaction=True)
def test_records_another_fold_holds_are_left_to_it(demo):
    """A second worker's fold (or a redelivered task) running meanwhile skips
    the rows the first has locked instead of writing their runs again."""
    start = timezone.now() - timedelta(minutes=1)
    _record(demo["reviewer_nsa"], start, "obsidian")
    _record(demo["liaison_northwind"], start, "atlas")
    with held_by_another_connection(SearchRecord.objects.filter(actor_label=demo["liaison_northwind"].email)):
        assert services.search_records_fold() == 1
    assert [(label, p["searched_for"]) for _, label, *_, p in _events()] == [(demo["reviewer_nsa"].email, "obsidian")]
    assert list(SearchRecord.objects.values_list("text", flat=True)) == ["atlas"]
    assert connection.vendor == "postgresql"


@pytest.mark.django_db(transaction=True)
def test_a_fold_while_another_is_writing_leaves_the_backlog_to_it_and_no_run_is_split(demo, monkeypatch):
    """Two workers fold at once (a backlog after an outage outlasts the minute):
    the first holds a batch of two records, the first run and the start of the
    second, which it leaves for its next batch; the second fold returns at once
    instead of taking the rest of that run and writing it as an event of its own."""
    import threading

    from django.db import connections

    start = timezone.now() - timedelta(minutes=1)
    _record(demo["reviewer_nsa"], start, "obsidian")
    _record(demo["reviewer_nsa"], start + timedelta(seconds=30), "atlas")  # a new run: 30 s after the last request
    _record(demo["reviewer_nsa"], start + timedelta(seconds=31), "atlas mini")
    real, in_batch, release, written = services.audit_record_many, threading.Event(), threading.Event(), []

    def held(entries):
        events = real(entries)
        if not in_batch.is_set():  # the first fold's first batch: written, not yet committed
            in_batch.set()
            release.wait(timeout=10)
        return events

    def first_fold():
        try:
            written.append(services.search_records_fold(rows_at_once=2))
        finally:
            connections.close_all()

    monkeypatch.setattr(services, "audit_record_many", held)
    first = threading.Thread(target=first_fold)
    first.start()
    try:
        assert in_batch.wait(timeout=10)
        assert services.search_records_fold() == 0
    finally:
        release.set()
        first.join(timeout=30)
    assert written == [2]
    assert [p.get("typed", [p["searched_for"]]) for *_, p in _events()] == [["obsidian"], ["atlas", "atlas mini"]]
    assert not SearchRecord.objects.exists()
    assert verify_chain()[1] is None


def test_the_office_reads_searches_in_the_audit_trail_and_no_review_history_shows_them(demo, login, material):
    reviewer = login(demo["reviewer_nsa"])
    reviewer.get(reverse("search"), {"q": "obsidian", "review": demo["atlas"].pk})
    assert services.search_records_fold(now=timezone.now() + timedelta(seconds=11)) == 1
    office = login(demo["admin"])
    trail = office.get(reverse("audit_index"), {"action": "search.run"}).content.decode()
    assert "Searched" in trail and "obsidian" in trail and demo["reviewer_nsa"].email in trail
    # The trail's search finds it by its words (in the event's details), and only it.
    found = office.get(reverse("audit_index"), {"q": "OBSIDIAN"})
    assert [e.action for e in found.context["page"].object_list] == ["search.run"]
    for role in ("admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"):
        history = login(demo[role]).get(reverse("review_history", args=[demo["atlas"].pk]))
        assert history.status_code == 200
        assert "obsidian" not in history.content.decode() and "Searched" not in history.content.decode()


def test_settled_searches_are_folded_every_minute():
    from portal.celery import app

    assert settings.CELERY_BEAT_SCHEDULE["fold-search-records"] == {"task": "search.tasks.fold_search_records", "schedule": 60.0}
    app.loader.import_default_modules()
    assert app.tasks["search.tasks.fold_search_records"].name == fold_search_records.name
