"""Information requests: asking, answering, reopening, visibility per role, the fair clock."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import DEMO_ROLES
from notifications.models import Notification
from reviews.models import ClockStop, Review, ReviewTransition
from portal.calendar import add_calendar_days
from rfis import services
from rfis.models import InformationRequest, RfiMessage, RfiStatus

pytestmark = pytest.mark.django_db

SEES_ATLAS = {"admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"}


def _ask(demo, **kw):
    kw.setdefault("subject", "Credentials")
    kw.setdefault("question", "The sandbox credentials do not work.")
    return services.rfi_create(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], **kw)


def test_demo_has_one_open_rfi_on_atlas(demo):
    rfi = demo["atlas"].rfis.get()
    assert rfi.status == RfiStatus.OPEN and not demo["helix"].rfis.exists()


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_rfi_visibility_is_exactly_the_reviews_audience(demo, role):
    visible = set(InformationRequest.objects.visible_to(demo[role]).values_list("review__model__name", flat=True))
    # Atlas-2 has NSA's question; on Atlas-2 Mini, shared by NSA and CISA, each agency asked one.
    expected = {"Atlas-2", "Atlas-2 Mini"} if role in SEES_ATLAS else set()
    if role in ("lead_cisa", "reviewer_cisa"):
        expected = {"Atlas-2 Mini"}
    assert visible == expected


def test_default_due_date_is_five_days(demo):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        rfi = _ask(demo)
    assert rfi.due_at == add_calendar_days(now, 5)
    assert list(rfi.messages.values_list("kind", "side")) == [("question", "agency")]


def test_due_date_in_the_past_is_refused_with_field_message(demo):
    with pytest.raises(ValidationError) as exc:
        _ask(demo, due_at=timezone.now() - timedelta(hours=1))
    assert exc.value.message_dict == {"due_at": ["The due date must be in the future."]}
    assert demo["atlas"].rfis.count() == 1


def test_page_refuses_past_due_date_with_field_message(demo, login):
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    response = client.post(
        reverse("review_rfis", kwargs={"pk": demo["atlas"].pk}),
        {"subject": "S", "question": "Q", "due_at": "2020-01-01T10:00"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["due_at"] == ["The due date must be in the future."]
    assert demo["atlas"].rfis.count() == 1


@pytest.mark.parametrize("role", ["admin", "liaison_northwind", "reviewer_cisa", "lead_cisa"])
def test_only_participating_agency_people_ask(demo, role):
    with pytest.raises(PermissionDenied):
        services.rfi_create(review_id=demo["atlas"].pk, actor=demo[role], subject="S", question="Q")


def test_company_sees_agency_not_asker_in_pages_and_notifications(demo, login):
    rfi = _ask(demo)
    note = Notification.objects.get(verb="rfi.asked", recipient=demo["liaison_northwind"], url=reverse("rfi_detail", kwargs={"pk": rfi.pk}))
    assert note.title == f'Atlas-2 2.0 review #{demo["atlas"].pk}: NSA asks "Credentials"'
    client = login(demo["liaison_northwind"])
    for url in (reverse("rfi_detail", kwargs={"pk": rfi.pk}), reverse("review_rfis", kwargs={"pk": demo["atlas"].pk})):
        html = client.get(url).content.decode()
        assert "NSA" in html
        assert "Riley" not in html and "reviewer.nsa" not in html
    # Nobody outside the review is told.
    assert not Notification.objects.filter(
        verb="rfi.asked", url=reverse("rfi_detail", kwargs={"pk": rfi.pk}),
        recipient__in=[demo["reviewer_cisa"], demo["lead_cisa"], demo["liaison_contoso"]],
    ).exists()


def test_answer_reopen_close_cycle_and_who_may(demo):
    rfi = _ask(demo)
    with pytest.raises(PermissionDenied):
        services.rfi_answer(rfi_id=rfi.pk, actor=demo["reviewer_nsa"], body="self-answer")
    services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="New credentials sent.")
    assert InformationRequest.objects.get(pk=rfi.pk).status == RfiStatus.ANSWERED
    assert Notification.objects.filter(verb="rfi.answered", recipient=demo["reviewer_nsa"]).exists()
    with pytest.raises(services.RfiError):
        services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="again")
    services.rfi_reopen(rfi_id=rfi.pk, actor=demo["reviewer_nsa"], body="Still failing.")
    assert InformationRequest.objects.get(pk=rfi.pk).status == RfiStatus.OPEN
    with pytest.raises(PermissionDenied):
        services.rfi_close(rfi_id=rfi.pk, actor=demo["liaison_northwind"])
    services.rfi_close(rfi_id=rfi.pk, actor=demo["lead_nsa"], body="Resolved by phone.")
    services.rfi_reopen(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="One more detail.")
    assert list(RfiMessage.objects.filter(rfi=rfi).values_list("kind", "side")) == [
        ("question", "agency"), ("answer", "company"), ("reopen", "agency"), ("close", "agency"), ("reopen", "company"),
    ]


def test_overdue_is_marked(demo, login):
    rfi = _ask(demo)
    client = login(demo["liaison_northwind"])
    with time_machine.travel(rfi.due_at + timedelta(minutes=1), tick=False):
        assert InformationRequest.objects.get(pk=rfi.pk).is_overdue
        client = login(demo["liaison_northwind"])
        html = client.get(reverse("review_rfis", kwargs={"pk": demo["atlas"].pk})).content.decode()
    assert "badge-overdue" in html


def test_agency_user_without_terms_is_sent_to_the_review_page(demo, login):
    from reviews.services import terms_update

    # The demo reviewer accepted the terms once; new terms close the material again.
    terms_update(review=demo["atlas"], actor=demo["liaison_northwind"], text="Revised terms.")
    rfi = demo["atlas"].rfis.get()
    client = login(demo["reviewer_nsa"])
    review_page = reverse("review_detail", kwargs={"pk": demo["atlas"].pk})
    for url in (reverse("rfi_detail", kwargs={"pk": rfi.pk}), reverse("review_rfis", kwargs={"pk": demo["atlas"].pk})):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"{review_page}?{urlencode({'next': url})}"


# --- the fair clock ---------------------------------------------------------------


def test_blocking_rfi_stops_the_clock_and_answer_adds_the_stopped_time(demo, login):
    review = demo["atlas"]
    end = review.window_end
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        rfi = _ask(demo, blocking=True)
    stop = ClockStop.objects.get(review=review)
    assert stop.resumed_at is None and stop.rfi == rfi
    # A second blocking question while the clock stands does not stop it twice.
    with time_machine.travel(t0 + timedelta(days=1), tick=False):
        second = _ask(demo, blocking=True, subject="Model weights endpoint")
        services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Fixed.")
    assert Review.objects.get(pk=review.pk).window_end == end  # still one blocking question waiting
    with time_machine.travel(t0 + timedelta(days=2, hours=3), tick=False):
        services.rfi_answer(rfi_id=second.pk, actor=demo["liaison_northwind"], body="Endpoint is up.")
    review.refresh_from_db()
    assert review.window_end == end + timedelta(days=2, hours=3)
    stop.refresh_from_db()
    assert stop.resumed_at == t0 + timedelta(days=2, hours=3)
    names = list(ReviewTransition.objects.filter(review=review, name__startswith="clock").values_list("name", "comment"))
    assert names == [
        ("clock_stop", "A blocking question is waiting on the company: Credentials"),
        ("clock_resume", "The clock stood for 2 days 3 hours; that time was added to the window's end."),
    ]
    with time_machine.travel(t0 + timedelta(days=2, hours=4), tick=False):
        html = login(demo["admin"]).get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    assert "Clock stopped" in html and "Clock resumed" in html


def test_non_blocking_rfi_leaves_the_clock_alone(demo):
    end = demo["atlas"].window_end
    rfi = _ask(demo)
    services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Here.")
    assert not ClockStop.objects.exists()
    assert Review.objects.get(pk=demo["atlas"].pk).window_end == end


def test_reopening_a_blocking_rfi_stops_the_clock_again_and_closing_resumes(demo):
    review = demo["atlas"]
    end = review.window_end
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        rfi = _ask(demo, blocking=True)
    with time_machine.travel(t0 + timedelta(days=1), tick=False):
        services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Fixed.")
    with time_machine.travel(t0 + timedelta(days=3), tick=False):
        services.rfi_reopen(rfi_id=rfi.pk, actor=demo["reviewer_nsa"], body="Broken again.")
    with time_machine.travel(t0 + timedelta(days=4), tick=False):
        services.rfi_close(rfi_id=rfi.pk, actor=demo["lead_nsa"], body="We will work around it.")
    assert Review.objects.get(pk=review.pk).window_end == end + timedelta(days=2)
    assert ClockStop.objects.filter(review=review).count() == 2


@pytest.mark.parametrize("size", [1, 3])
def test_rfi_list_query_count_at_one_and_three(demo, login, size, django_assert_num_queries):
    for i in range(size - 1):
        _ask(demo, subject=f"Q{i}")
    client = login(demo["liaison_northwind"])
    url = reverse("review_rfis", kwargs={"pk": demo["atlas"].pk})
    client.get(url)
    with django_assert_num_queries(RFI_LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["rfis"]) == size


RFI_LIST_QUERIES = 6  # main's 5, plus the agencies that followed each question (one prefetch)
