"""The lifecycle state machine: every move allowed and refused by role, the
window's dates across time zones and daylight saving, and concurrent moves."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from reviews import services, workflow
from reviews.models import STATUS_PHRASES, Review, ReviewStatus, ReviewTransition

from .factories import answer_checklist, close_review, end_window, make_review

pytestmark = pytest.mark.django_db

UTC = dt_timezone.utc


def _people(review):
    agency = review.agencies.get()
    return {
        "admin": make_user(role=Role.PROGRAM_ADMIN),
        "lead": make_user(role=Role.AGENCY_LEAD, org=agency),
        "other_lead": make_user(role=Role.AGENCY_LEAD),
        "reviewer": make_user(role=Role.AGENCY_REVIEWER, org=agency),
        "liaison": make_user(role=Role.COMPANY_LIAISON, org=review.company),
        "other_liaison": make_user(role=Role.COMPANY_LIAISON),
    }


def _do(name, review, user):
    if name == "submit":
        return services.review_submit(review_id=review.pk, actor=user)
    if name == "open":
        return services.review_open(review_id=review.pk, actor=user)
    if name == "close":
        return services.review_close(review_id=review.pk, actor=user, outcome_summary="Nothing blocking.", comment="The window ended.")
    if name == "withdraw":
        return services.review_withdraw(review_id=review.pk, actor=user, reason="We are not ready.")
    raise AssertionError(name)


# (transition, starting state) → the roles that may make it; every other role is refused.
ALLOWED = {
    ("submit", "draft"): {"liaison"},
    ("open", "submitted"): {"admin"},
    # A lead never closes (it would close for the other agencies): their sign-off does (test_signoff).
    ("close", "in_review"): {"admin"},
    ("withdraw", "draft"): {"liaison"},
    ("withdraw", "submitted"): {"liaison"},
    ("withdraw", "in_review"): {"liaison"},
}
ROLES = ["admin", "lead", "other_lead", "reviewer", "liaison", "other_liaison"]


def _snapshot(review):
    fresh = Review.objects.get(pk=review.pk)
    return (fresh.status, fresh.window_start, fresh.window_end, fresh.closed_at, fresh.withdrawn_at,
            ReviewTransition.objects.filter(review=review).count())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "state"), sorted(ALLOWED))
def test_transition_allowed_or_refused_by_role(name, state, role):
    review = make_review(status=state)
    if name == "close":
        answer_checklist(review)
        end_window(review)  # nobody signed off: the program office closes after the window, with a reason
    people = _people(review)
    before = _snapshot(review)
    if role in ALLOWED[(name, state)]:
        result = _do(name, review, people[role])
        assert result.status == workflow.TRANSITIONS[name].target
        last = ReviewTransition.objects.filter(review=review).last()
        assert (last.name, last.source, last.target, last.actor) == (name, state, result.status, people[role])
    else:
        with pytest.raises(workflow.TransitionError, match=r"^Only "):
            _do(name, review, people[role])
        assert _snapshot(review) == before


@pytest.mark.parametrize(
    ("name", "state", "message"),
    [
        ("close", "draft", "A review that is a draft cannot be closed."),
        ("close", "submitted", "A review that is submitted cannot be closed."),
        ("open", "draft", "A review that is a draft cannot be opened."),
        ("open", "in_review", "A review that is under review cannot be opened."),
        ("submit", "in_review", "A review that is under review cannot be submitted."),
        ("withdraw", "closed", "A review that is closed cannot be withdrawn."),
        ("withdraw", "withdrawn", "A review that is withdrawn cannot be withdrawn."),
        ("close", "closed", "A review that is closed cannot be closed."),
    ],
)
def test_illegal_transition_is_refused_with_reason_and_changes_nothing(name, state, message):
    review = make_review(status=state)
    people = _people(review)
    actor = people["admin"] if name in ("open", "close") else people["liaison"]
    before = _snapshot(review)
    with pytest.raises(workflow.TransitionError) as exc:
        _do(name, review, actor)
    assert str(exc.value) == message
    assert _snapshot(review) == before


def test_reviewer_opening_a_review_is_refused_through_the_page(demo, login, fresh_shared_review):
    review = fresh_shared_review  # submitted
    client = login(demo["lead_nsa"], accept_terms_for=[review])
    response = client.post(reverse("review_transition", kwargs={"pk": review.pk, "name": "open"}), follow=True)
    assert "Only program admins may open the review window." in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED


def test_withdrawal_needs_a_reason(demo):
    review = demo["atlas"]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.review_withdraw(review_id=review.pk, actor=demo["liaison_northwind"], reason="  ")
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.IN_REVIEW


def test_timeline_shows_every_transition_with_actor_and_comment(demo, login):
    review = demo["atlas"]
    close_review(review, demo["lead_nsa"], outcome_summary="Done early.")
    client = login(demo["admin"])
    html = client.get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    for text in (
        "Draft created", "Submitted for review", "Review window opened", "Agency signed off", "NSA: No objection. Done early.",
        "Review closed", "Every participating agency signed off.", "Lee Lead",
    ):
        assert text in html
    assert [t.name for t in review.transitions.all()] == ["create", "submit", "open", "sign_off", "close"]


# --- the window across time zones and daylight saving --------------------------------


def test_window_is_thirty_calendar_days_across_dst_start(settings):
    settings.TIME_ZONE = "America/New_York"
    opened = datetime(2027, 2, 20, 15, 0, tzinfo=UTC)  # 10:00 EST
    review = make_review(status="submitted")
    with time_machine.travel(opened, tick=False):
        review = services.review_open(review_id=review.pk, actor=make_user(role=Role.PROGRAM_ADMIN))
    # DST starts on 14 March 2027: the window still ends at 10:00 local time, now EDT (14:00 UTC).
    assert review.window_end == datetime(2027, 3, 22, 14, 0, tzinfo=UTC)
    assert review.window_end.astimezone(ZoneInfo("America/New_York")).hour == 10


def test_window_is_thirty_calendar_days_across_dst_end(settings):
    settings.TIME_ZONE = "America/New_York"
    opened = datetime(2027, 10, 20, 14, 0, tzinfo=UTC)  # 10:00 EDT
    review = make_review(status="submitted")
    with time_machine.travel(opened, tick=False):
        review = services.review_open(review_id=review.pk, actor=make_user(role=Role.PROGRAM_ADMIN))
    # DST ends on 7 November 2027: 10:00 EST is 15:00 UTC.
    assert review.window_end == datetime(2027, 11, 19, 15, 0, tzinfo=UTC)


def _review_ending(end):
    review = make_review(status="in_review")
    Review.objects.filter(pk=review.pk).update(window_start=end - timedelta(days=30), window_end=end)
    return Review.objects.get(pk=review.pk)


@pytest.mark.parametrize(
    ("zone", "now", "expected_days", "expected_text", "expected_date"),
    [
        # The window ends 14 March 2027 04:30 UTC: 13 March 23:30 EST in New York
        # (DST starts a few hours later), 14 March in UTC, 14 March 13:30 in Tokyo.
        ("America/New_York", datetime(2027, 3, 12, 5, 0, tzinfo=UTC), 1, "1 day left", "Mar 13, 2027 23:30 EST"),
        ("UTC", datetime(2027, 3, 12, 5, 0, tzinfo=UTC), 2, "2 days left", "Mar 14, 2027 04:30 UTC"),
        ("Asia/Tokyo", datetime(2027, 3, 12, 5, 0, tzinfo=UTC), 2, "2 days left", "Mar 14, 2027 13:30 JST"),
        ("America/New_York", datetime(2027, 3, 14, 3, 0, tzinfo=UTC), 0, "Ends today", "Mar 13, 2027 23:30 EST"),
        ("America/Los_Angeles", datetime(2027, 3, 14, 9, 0, tzinfo=UTC), -1, "Ended 1 day ago", "Mar 13, 2027 20:30 PST"),
    ],
)
def test_days_left_and_end_date_in_the_users_zone(login, zone, now, expected_days, expected_text, expected_date):
    review = _review_ending(datetime(2027, 3, 14, 4, 30, tzinfo=UTC))
    admin = make_user(role=Role.PROGRAM_ADMIN, time_zone=zone)
    with time_machine.travel(now, tick=False):
        client = login(admin)  # signed in "now", so the session timeouts do not interfere
        response = client.get(reverse("review_detail", kwargs={"pk": review.pk}))
        with timezone.override(zone):
            assert review.days_left() == expected_days
    html = response.content.decode()
    assert expected_text in html
    assert expected_date in html


def test_days_left_across_dst_end_counts_calendar_days(login):
    # 5 November 2027 noon EDT → window ends 8 November 2027 noon EST (DST ended on the 7th: 3 days, 73 hours).
    review = _review_ending(datetime(2027, 11, 8, 17, 0, tzinfo=UTC))
    user = make_user(role=Role.PROGRAM_ADMIN, time_zone="America/New_York")
    with time_machine.travel(datetime(2027, 11, 5, 16, 0, tzinfo=UTC), tick=False):
        client = login(user)
        html = client.get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    assert "3 days left" in html
    assert "Nov 8, 2027 12:00 EST" in html


# --- concurrency -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["open", "withdraw"])
def test_concurrent_transitions_exactly_one_wins(name):
    agency = AgencyFactory()
    review = make_review(status="submitted", agencies=[agency])
    actor = make_user(role=Role.PROGRAM_ADMIN) if name == "open" else make_user(role=Role.COMPANY_LIAISON, org=review.company)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt():
        try:
            barrier.wait()
            _do(name, review, actor)
            results.append("won")
        except workflow.TransitionError as exc:
            results.append(f"refused: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    target = workflow.TRANSITIONS[name].target
    assert sorted(results) == ["refused: A review that is " + STATUS_PHRASES[target] + f" cannot be {workflow.TRANSITIONS[name].past}.", "won"]
    assert ReviewTransition.objects.filter(review=review, name=name).count() == 1
    assert Review.objects.get(pk=review.pk).status == target


# --- notifications on state changes ---------------------------------------------------


def test_state_changes_notify_exactly_those_who_see_the_review(demo):
    from notifications.models import Notification

    review = make_review(status="draft", company=demo["northwind"], agencies=[demo["nsa"]], liaison=demo["liaison_northwind"])
    mine = Notification.objects.filter(title__startswith=f"{review} ")
    services.review_submit(review_id=review.pk, actor=demo["liaison_northwind"])
    submitted = set(mine.filter(verb="review.submit").values_list("recipient__email", flat=True))
    assert submitted == {"lead.nsa@agency.example", "admin@portal.example"}
    services.review_open(review_id=review.pk, actor=demo["admin"])
    opened = set(mine.filter(verb="review.open").values_list("recipient__email", flat=True))
    assert opened == {"lead.nsa@agency.example", "liaison@northwind.example"}
    services.review_withdraw(review_id=review.pk, actor=demo["liaison_northwind"], reason="Release postponed.")
    withdrawn = mine.filter(verb="review.withdraw")
    assert set(withdrawn.values_list("recipient__email", flat=True)) == {"lead.nsa@agency.example", "admin@portal.example"}
    assert withdrawn.get(recipient=demo["lead_nsa"]).url == ""  # out of their scope now: no link
    assert not mine.filter(
        recipient__in=[demo["lead_cisa"], demo["reviewer_cisa"], demo["liaison_contoso"]]
    ).exists()
