"""Saved searches: a reader keeps a search (words and filters) to run again,
and with alerts on is told — counts only, scoped as every search of theirs —
when something new they may see matches it (search.services.saved_search_check)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from documents.models import Document
from findings import services as finding_services
from findings.models import Finding, FindingCategory
from notifications.models import Email, Notification
from rfis import services as rfi_services
from rfis.models import InformationRequest, RfiMessage
from search import services
from search.models import SavedSearch
from search.tasks import check_saved_searches

from .conftest import evidence_file, held_by_another_connection, text_version

pytestmark = pytest.mark.django_db


def _ask(demo, review: str, role: str, word: str, *, private: bool = False):
    return rfi_services.rfi_create(
        review_id=demo[review].pk, actor=demo[role], subject=f"About {word}", question=f"Is the {word} channel signed?", private=private,
    )


def _save(client, **fields):
    return client.post(reverse("saved_search_save"), fields)


def _alerts():
    return list(Notification.objects.filter(verb="search.alert").order_by("id").values_list("recipient__email", "title", "url"))


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_search_is_saved_with_its_words_and_filters_and_opens_as_the_same_address(demo, login):
    client = login(demo["reviewer_nsa"])
    page = client.get(reverse("search"), {"q": "zephyr", "type": "rfi", "date_from": "2026-01-01", "page": "1"})
    # The page's "Save this search" sends the words and the filters set, not the page.
    assert page.context["save_fields"] == [("q", "zephyr"), ("type", "rfi"), ("date_from", "2026-01-01")]
    assert 'action="/search/saved/new/"' in page.content.decode()
    response = _save(client, q="zephyr", type="rfi", date_from="2026-01-01", alert="on")
    assert response.status_code == 302
    assert response["Location"] == "/search/?q=zephyr&type=rfi&date_from=2026-01-01"
    assert list(SavedSearch.objects.values_list("owner__email", "text", "params", "alert")) == [
        (demo["reviewer_nsa"].email, "zephyr", "type=rfi&date_from=2026-01-01", True)
    ]
    assert _messages(response) == ["Saved \u201czephyr\u201d. You will be told when something new you may see matches it."]
    # The same words and filters again: still one, and the reader is told so.
    again = _save(client, q="zephyr", type="rfi", date_from="2026-01-01")
    assert SavedSearch.objects.count() == 1
    # (the first message was never shown: the redirect was not followed)
    assert _messages(again)[1:] == ["\u201czephyr\u201d with these filters is already one of your saved searches."]


@pytest.mark.parametrize(
    ("fields", "message", "back_to"),
    [
        ({"q": "", "type": "rfi", "alert": "on"}, "The search was not saved: Search for: type the words to search for before saving the search.", "/search/?type=rfi"),
        ({"q": "zephyr", "date_from": "2026-02-01", "date_to": "2026-01-01"}, "The search was not saved: To: The end date is before the start date.",
         "/search/?q=zephyr&date_from=2026-02-01&date_to=2026-01-01"),
        ({"q": "zephyr", "type": "memo"}, "The search was not saved: Type: Select a valid choice. memo is not one of the available choices.", "/search/?q=zephyr&type=memo"),
    ],
)
def test_a_search_that_cannot_be_saved_names_the_field_and_saves_nothing(demo, login, fields, message, back_to):
    response = _save(login(demo["reviewer_nsa"]), **fields)
    # Back to the search as it was sent (the page shows the same refusal beside its field).
    assert (response.status_code, response["Location"]) == (302, back_to)
    assert _messages(response) == [message]
    assert not SavedSearch.objects.exists()


def test_a_reader_keeps_at_most_the_limit_and_the_next_is_refused(demo, login):
    client = login(demo["reviewer_nsa"])
    for n in range(services.SAVED_PER_READER):
        services.saved_search_create(owner=demo["reviewer_nsa"], text=f"word{n}", params="", alert=False)
    response = _save(client, q="zephyr", type="rfi")
    assert _messages(response) == [f"The search was not saved: You have {services.SAVED_PER_READER} saved searches, the most one may keep; remove one first."]
    assert response["Location"] == "/search/?q=zephyr&type=rfi"
    assert SavedSearch.objects.filter(owner=demo["reviewer_nsa"]).count() == services.SAVED_PER_READER
    # Another reader's count is their own.
    assert _save(login(demo["reviewer_cisa"]), q="zephyr").status_code == 302
    assert SavedSearch.objects.filter(owner=demo["reviewer_cisa"]).count() == 1


def test_the_list_shows_only_ones_own_saved_searches_with_their_filters_in_words(demo, login):
    nsa = demo["nsa"]
    services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params=f"type=rfi&agency={nsa.pk}&date_from=2026-01-01", alert=True)
    services.saved_search_create(owner=demo["reviewer_nsa"], text="atlas", params="review=999999", alert=False)
    services.saved_search_create(owner=demo["reviewer_cisa"], text="helix secrets", params="", alert=True)
    page = login(demo["reviewer_nsa"]).get(reverse("saved_search_index"))
    assert page.status_code == 200
    rows = [(row.saved.text, row.filters, row.saved.alert, row.url) for row in page.context["rows"]]
    assert rows == [
        ("atlas", ["Review #999999"], False, "/search/?q=atlas&review=999999"),
        ("zephyr", ["Questions only", f"Agency: {nsa.acronym}", "From 1 January 2026"], True,
         f"/search/?q=zephyr&type=rfi&agency={nsa.pk}&date_from=2026-01-01"),
    ]
    assert "helix secrets" not in page.content.decode()


def test_the_list_reads_a_fixed_number_of_statements(demo, login):
    client = login(demo["reviewer_nsa"])
    services.saved_search_create(owner=demo["reviewer_nsa"], text="one", params="type=rfi", alert=False)
    client.get(reverse("saved_search_index"))  # the filter names cached
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("saved_search_index")).status_code == 200
    for n in range(5):
        services.saved_search_create(owner=demo["reviewer_nsa"], text=f"more{n}", params="type=document", alert=False)
    with CaptureQueriesContext(connection) as six:
        assert client.get(reverse("saved_search_index")).status_code == 200
    assert len(six.captured_queries) == len(one.captured_queries)


def test_alerts_are_turned_off_and_on_and_a_saved_search_removed_by_its_owner_only(demo, login):
    saved, _ = services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="", alert=True)
    other = login(demo["reviewer_cisa"])
    assert other.post(reverse("saved_search_alert", args=[saved.pk]), {"alert": "off"}).status_code == 404
    assert other.post(reverse("saved_search_remove", args=[saved.pk])).status_code == 404
    assert SavedSearch.objects.get().alert is True
    owner = login(demo["reviewer_nsa"])
    off = owner.post(reverse("saved_search_alert", args=[saved.pk]), {"alert": "off"})
    assert (off.status_code, off["Location"]) == (302, "/search/saved/")
    assert _messages(off) == ["Alerts for \u201czephyr\u201d are off."]
    assert SavedSearch.objects.get().alert is False
    owner.post(reverse("saved_search_alert", args=[saved.pk]), {"alert": "on"})
    assert SavedSearch.objects.get().alert is True
    assert owner.post(reverse("saved_search_remove", args=[saved.pk])).status_code == 302
    assert not SavedSearch.objects.exists()


def test_an_alert_tells_the_owner_only_what_is_new_and_theirs_to_see(demo, login):
    """What was there when the search was saved is not new; of what comes
    after, only what the owner may see is told — not another agency's private
    question, a review they are not on, or another agency's internal finding."""
    _ask(demo, "atlas_mini", "reviewer_nsa", "zephyr")
    response = _save(login(demo["reviewer_nsa"]), q="zephyr", alert="on")
    assert response.status_code == 302
    saved = SavedSearch.objects.get()
    assert len(saved.reported) == 1  # the question already there
    start = timezone.now()
    assert services.saved_searches_check(now=start + timedelta(minutes=16)) == 0
    assert _alerts() == []

    seen = _ask(demo, "atlas", "lead_nsa", "zephyr")
    _ask(demo, "atlas_mini", "reviewer_cisa", "zephyr", private=True)  # CISA's own
    _ask(demo, "helix", "reviewer_cisa", "zephyr")  # a review NSA is not on
    finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_cisa"], title="Zephyr bypass",
        category=FindingCategory.objects.first(), severity="low", description="A zephyr prompt bypasses the classifier.",
    )  # CISA's, not shared
    Email.objects.all().delete()
    with transaction.atomic():
        assert services.saved_searches_check(now=start + timedelta(minutes=32)) == 1
    day = timezone.localdate(start - timedelta(days=1)).isoformat()
    assert _alerts() == [(demo["reviewer_nsa"].email, "New for your saved search \u201czephyr\u201d: 1 question", f"/search/?q=zephyr&date_from={day}")]
    saved.refresh_from_db()
    assert f"rfi:{seen.pk}" in saved.reported and len(saved.reported) == 2
    assert saved.alerted_at == saved.checked_at == start + timedelta(minutes=32)
    # E-mailed by the owner's preference (immediately), with counts only: no subject of what was found.
    (email,) = Email.objects.filter(kind="search_alert")
    assert email.to == demo["reviewer_nsa"].email
    assert "1 question" in email.subject and "About zephyr" not in email.body and "signed" not in email.body
    event = AuditEvent.objects.get(action="search.alerted")
    assert (event.actor_id, event.review_id, event.payload["new"], event.payload["searched_for"]) == (demo["reviewer_nsa"].pk, None, {"questions": "1"}, "zephyr")
    # Checked again: nothing new, nothing told twice.
    assert services.saved_searches_check(now=start + timedelta(minutes=32)) == 0
    assert services.saved_searches_check(now=start + timedelta(minutes=48)) == 0
    assert len(_alerts()) == 1


def test_new_activity_on_older_material_is_told_and_links_to_the_whole_search(demo, login):
    """A question asked, a document handed over and a finding shared ten days
    ago are outside every window; a company's answer in the question's thread,
    a later version of the document, the company's response to the finding
    and an internal comment of the owner's agency on a finding that match are
    new, and told — but not an answer in another agency's private thread, a
    version, a response or a comment on a review the owner is not on, another
    agency's internal comment on a finding the owner sees, or a version whose
    scan has not passed."""
    old = timezone.now() - timedelta(days=10)
    category = FindingCategory.objects.first()
    findings = {}
    for name, review, author, lead in (
        ("atlas", "atlas", "reviewer_nsa", "lead_nsa"), ("atlas_other", "atlas", "reviewer_nsa", "lead_nsa"), ("helix", "helix", "reviewer_cisa", "lead_cisa"),
        ("mini", "atlas_mini", "reviewer_cisa", "lead_cisa"),
    ):
        finding = finding_services.finding_create(
            review_id=demo[review].pk, actor=demo[author], title="Unfiltered output", category=category, severity="low", description="D",
        )
        findings[name] = finding_services.finding_share(finding_id=finding.pk, actor=demo[lead], sharing="company")
    Finding.objects.filter(pk__in=[f.pk for f in findings.values()]).update(created_at=old)
    asked = _ask(demo, "atlas_mini", "reviewer_nsa", "signing")
    private = _ask(demo, "atlas_mini", "reviewer_cisa", "signing", private=True)
    InformationRequest.objects.filter(pk__in=[asked.pk, private.pk]).update(created_at=old)
    RfiMessage.objects.filter(rfi__in=[asked, private]).update(created_at=old)
    Document.objects.filter(review__in=[demo["atlas"], demo["helix"]]).update(created_at=old)
    saved, _ = services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="", alert=True)
    assert saved.reported == []

    answer = rfi_services.rfi_answer(rfi_id=asked.pk, actor=demo["liaison_northwind"], body="Yes: the zephyr channel is signed.").messages.latest("id")
    rfi_services.rfi_answer(rfi_id=private.pk, actor=demo["liaison_northwind"], body="The zephyr channel is signed too.")
    version = text_version(demo["atlas"], word="zephyr", scan_status="clean")
    text_version(demo["helix"], word="zephyr", scan_status="clean")  # NSA is not on Helix
    text_version(demo["atlas"], word="zephyr", scan_status="pending")  # not scanned yet
    new_question = _ask(demo, "atlas_mini", "lead_nsa", "zephyr")  # a question, not also a reply
    respond = finding_services.finding_respond
    response = respond(finding_id=findings["atlas"].pk, actor=demo["liaison_northwind"], response="disputed", rationale="The zephyr filter covers it.")
    respond(finding_id=findings["helix"].pk, actor=demo["liaison_contoso"], response="disputed", rationale="Our zephyr filter covers it.")
    respond(finding_id=findings["atlas_other"].pk, actor=demo["liaison_northwind"], response="disputed", rationale="Not reproducible.")
    comment = finding_services.finding_comment(finding_id=findings["atlas_other"].pk, actor=demo["lead_nsa"], body="Zephyr again.", internal=True)
    finding_services.finding_comment(finding_id=findings["mini"].pk, actor=demo["lead_cisa"], body="Zephyr, CISA only.", internal=True)
    finding_services.finding_comment(finding_id=findings["helix"].pk, actor=demo["lead_cisa"], body="Zephyr on Helix.", internal=False)
    evidence = evidence_file(findings["atlas_other"], demo["reviewer_nsa"], word="zephyr", scan_status="clean")
    evidence_file(findings["atlas_other"], demo["reviewer_nsa"], word="zephyr", scan_status="pending")  # not scanned yet
    evidence_file(findings["helix"], demo["reviewer_cisa"], word="zephyr", scan_status="clean")  # NSA is not on Helix
    assert services.saved_searches_check(now=timezone.now() + timedelta(minutes=16)) == 1
    assert _alerts() == [(
        demo["reviewer_nsa"].email,
        "New for your saved search \u201czephyr\u201d: 1 question, 1 reply in a question's thread, 1 new document version, "
        "1 company response to a finding, 1 comment on a finding, 1 evidence file on a finding",
        "/search/?q=zephyr",  # the whole search: narrowed to the window's days it would show neither
    )]
    saved.refresh_from_db()
    event_id = response.events.get(name="respond").pk
    assert sorted(saved.reported) == sorted(
        [f"rfi:{new_question.pk}", f"reply:{answer.pk}", f"version:{version.pk}", f"response:{event_id}", f"comment:{comment.pk}",
         f"evidence:{evidence.document.versions.get().pk}"]
    )
    event = AuditEvent.objects.get(action="search.alerted")
    assert event.payload["new"] == {
        "questions": "1", "replies in questions' threads": "1", "new document versions": "1", "company responses to findings": "1",
        "comments on findings": "1", "evidence files on findings": "1",
    }
    # The link shows both: the question at the answer that matched, the document at its new version.
    page = login(demo["reviewer_nsa"]).get("/search/?q=zephyr")
    hits = {section.kind: [hit.url for hit in section.hits] for section in page.context["results"].sections}
    assert sorted(hits["rfi"]) == sorted([f"/rfis/{asked.pk}/#message-{answer.pk}", f"/rfis/{new_question.pk}/"])
    assert hits["document"] == [f"/documents/{version.document_id}/#version-{version.number}"]
    assert sorted(hits["finding"]) == sorted([f"/findings/{response.pk}/", f"/findings/{comment.finding_id}/#comment-{comment.pk}"])
    # Checked again: nothing told twice.
    assert services.saved_searches_check(now=timezone.now() + timedelta(minutes=32)) == 0
    assert len(_alerts()) == 1


@pytest.mark.parametrize(
    ("params", "told"),
    [
        ("type=rfi", ["reply"]),
        ("type=document", ["version"]),
        ("type=finding", ["comment", "evidence", "response"]),
        ("marking={marking}", ["version"]),  # a handling marking is a document's
        ("review={mini}", []),  # all three are on Atlas-2
    ],
)
def test_new_activity_is_told_only_within_the_saved_searchs_filters(demo, params, told):
    """The filters of the saved search narrow the activity as they narrow the page."""
    old = timezone.now() - timedelta(days=10)
    asked = _ask(demo, "atlas", "reviewer_nsa", "signing")
    finding = finding_services.finding_create(
        review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="Unfiltered output", category=FindingCategory.objects.first(),
        severity="low", description="D",
    )
    finding_services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="company")
    InformationRequest.objects.filter(pk=asked.pk).update(created_at=old)
    Finding.objects.filter(pk=finding.pk).update(created_at=old)
    Document.objects.filter(review=demo["atlas"]).update(created_at=old)
    document = Document.objects.filter(review=demo["atlas"], purpose="review").order_by("id").first()
    params = params.format(marking=document.marking_id, mini=demo["atlas_mini"].pk)
    saved, _ = services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params=params, alert=True)
    rfi_services.rfi_answer(rfi_id=asked.pk, actor=demo["liaison_northwind"], body="The zephyr channel is signed.")
    text_version(demo["atlas"], word="zephyr", scan_status="clean")
    finding_services.finding_respond(finding_id=finding.pk, actor=demo["liaison_northwind"], response="disputed", rationale="A zephyr filter covers it.")
    finding_services.finding_comment(finding_id=finding.pk, actor=demo["lead_nsa"], body="The zephyr filter is not enough.", internal=False)
    evidence_file(finding, demo["reviewer_nsa"], word="zephyr", scan_status="clean")
    assert services.saved_searches_check(now=timezone.now() + timedelta(minutes=16)) == (1 if told else 0)
    saved.refresh_from_db()
    assert sorted({key.partition(":")[0] for key in saved.reported}) == told


def test_past_the_cap_only_rows_newer_than_every_one_reported_are_new(demo, monkeypatch):
    """A window of more than CAP matches of a kind: which CAP a search reads
    first may change between checks, so one that only came back into them is
    not told again; below the cap every unreported match is new."""
    saved, _ = services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="", alert=True)
    SavedSearch.objects.filter(pk=saved.pk).update(reported=["rfi:3", "rfi:6", "document:4"])
    found = {"rfi": (["rfi:5", "rfi:6", "rfi:7", "rfi:9"], True), "document": (["document:2"], False)}
    monkeypatch.setattr(services, "_window_found", lambda saved, filters: found)
    assert services.saved_searches_check(now=timezone.now() + timedelta(minutes=16)) == 1
    assert [title for _, title, _ in _alerts()] == ["New for your saved search \u201czephyr\u201d: 2 or more questions, 1 document"]
    assert SavedSearch.objects.get().reported == ["rfi:5", "rfi:6", "rfi:7", "rfi:9", "document:2"]


def test_a_review_taken_away_tells_nothing_more_of_it(demo):
    """Removed from Atlas-2, the reviewer is told of a new question on the
    review she still has (Atlas-2 Mini), not of one on Atlas-2."""
    from reviews.services import assignment_remove

    services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="", alert=True)
    assignment = demo["atlas"].assignments.get(reviewer=demo["reviewer_nsa"])
    assignment_remove(assignment_id=assignment.pk, actor=demo["lead_nsa"], reason="Moved to another review")
    _ask(demo, "atlas", "lead_nsa", "zephyr")
    kept = _ask(demo, "atlas_mini", "lead_nsa", "zephyr")
    assert services.saved_searches_check(now=timezone.now() + timedelta(minutes=16)) == 1
    assert [title for _, title, _ in _alerts()] == ["New for your saved search \u201czephyr\u201d: 1 question"]
    assert SavedSearch.objects.get().reported == [f"rfi:{kept.pk}"]


def test_an_alert_follows_the_owner_as_they_are_now(demo):
    saved, _ = services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="", alert=True)
    quiet, _ = services.saved_search_create(owner=demo["reviewer_cisa"], text="zephyr", params="", alert=False)
    _ask(demo, "atlas_mini", "lead_nsa", "zephyr")
    demo["reviewer_nsa"].is_active = False
    demo["reviewer_nsa"].save(update_fields=["is_active"])
    later = timezone.now() + timedelta(minutes=16)
    # A deactivated owner is told nothing; alerts off, nothing is checked.
    assert services.saved_searches_check(now=later) == 0
    assert _alerts() == []
    assert SavedSearch.objects.get(pk=quiet.pk).checked_at == quiet.checked_at


def test_a_check_that_fails_leaves_the_saved_search_for_the_next_run(demo, monkeypatch):
    saved, _ = services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="", alert=True)
    _ask(demo, "atlas_mini", "lead_nsa", "zephyr")
    later = timezone.now() + timedelta(minutes=16)

    def refused(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "notification_send", refused)
    with pytest.raises(OSError):
        services.saved_searches_check(now=later)
    after = SavedSearch.objects.get()
    assert (after.checked_at, after.reported, after.alerted_at) == (saved.checked_at, [], None)
    assert not AuditEvent.objects.filter(action="search.alerted").exists()
    monkeypatch.undo()
    assert services.saved_searches_check(now=later) == 1
    assert [title for _, title, _ in _alerts()] == ["New for your saved search \u201czephyr\u201d: 1 question"]


def test_one_saved_search_failing_does_not_hold_back_the_others(demo, monkeypatch, caplog):
    broken, _ = services.saved_search_create(owner=demo["reviewer_cisa"], text="zephyr", params="type=rfi", alert=True)
    services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="", alert=True)
    _ask(demo, "atlas_mini", "lead_nsa", "zephyr")
    search = services.search

    def fails_for_the_questions_only(**kwargs):
        if kwargs["filters"].kinds == ("rfi",):
            raise ValueError("a statement the planner cannot run")
        return search(**kwargs)

    monkeypatch.setattr(services, "search", fails_for_the_questions_only)
    # The failing one is the oldest, so it is tried first.
    SavedSearch.objects.filter(pk=broken.pk).update(checked_at=broken.checked_at - timedelta(minutes=1))
    assert services.saved_searches_check(now=timezone.now() + timedelta(minutes=16)) == 1
    assert [email for email, *_ in _alerts()] == [demo["reviewer_nsa"].email]
    assert SavedSearch.objects.get(pk=broken.pk).checked_at == broken.checked_at - timedelta(minutes=1)
    assert f"saved search {broken.pk}: the check failed" in caplog.text


def test_a_run_checks_every_due_search_page_by_page_and_stops_at_its_budget(demo):
    for role in ("reviewer_nsa", "lead_nsa", "admin"):
        services.saved_search_create(owner=demo[role], text="zephyr", params="", alert=True)
    _ask(demo, "atlas_mini", "reviewer_cisa", "zephyr")  # seen by all three
    later = timezone.now() + timedelta(minutes=16)
    # No time left: nothing is checked, everything stays due.
    assert services.saved_searches_check(now=later, budget=timedelta(0)) == 0
    assert SavedSearch.objects.filter(checked_at=later).count() == 0
    # One id a read: every due search is still reached.
    assert services.saved_searches_check(now=later, at_once=1) == 3
    assert sorted(email for email, *_ in _alerts()) == sorted(demo[r].email for r in ("reviewer_nsa", "lead_nsa", "admin"))
    assert SavedSearch.objects.filter(checked_at=later).count() == 3


def test_the_tasks_own_time_limit_ends_the_run_instead_of_counting_as_one_search_failing(demo, monkeypatch, caplog):
    from celery.exceptions import SoftTimeLimitExceeded

    for role in ("reviewer_nsa", "lead_nsa"):
        services.saved_search_create(owner=demo[role], text="zephyr", params="", alert=True)
    tried = []

    def out_of_time(**kwargs):
        tried.append(kwargs["saved_search_id"])
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "saved_search_check", out_of_time)
    with pytest.raises(SoftTimeLimitExceeded):
        services.saved_searches_check(now=timezone.now() + timedelta(minutes=16))
    assert len(tried) == 1  # the second was not started
    assert "the check failed" not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_saved_search_another_run_holds_is_left_to_it(demo):
    """A redelivered or overlapping run skips the row the first has locked
    instead of telling its owner twice."""
    saved, _ = services.saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="", alert=True)
    _ask(demo, "atlas_mini", "lead_nsa", "zephyr")
    with held_by_another_connection(SavedSearch.objects.filter(pk=saved.pk)):
        assert services.saved_searches_check(now=timezone.now() + timedelta(minutes=16)) == 0
    assert _alerts() == []
    assert SavedSearch.objects.get().checked_at == saved.checked_at


def test_the_check_runs_every_five_minutes_from_the_beat():
    from portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["check-saved-searches"]
    assert entry == {"task": "search.tasks.check_saved_searches", "schedule": 300.0}
    assert entry["task"] in app.tasks
    assert check_saved_searches.name == entry["task"]
