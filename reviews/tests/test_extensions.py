"""Extensions: asked by reviewers or leads, decided by program admins, moving the window's end."""

from __future__ import annotations


import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from notifications.models import Notification
from reviews import services
from reviews.models import ExtensionRequest, ExtensionStatus, Review, ReviewTransition
from portal.calendar import add_calendar_days

pytestmark = pytest.mark.django_db


def test_reviewer_asks_admin_approves_and_window_moves(demo, django_capture_on_commit_callbacks):
    review = demo["atlas"]
    end = review.window_end
    ext = services.extension_request(review_id=review.pk, actor=demo["reviewer_nsa"], days=5, reason="Credentials arrived late.")
    assert ext.status == ExtensionStatus.PENDING and ext.agency == demo["nsa"]
    assert Notification.objects.filter(verb="extension.requested", recipient=demo["admin"]).count() == 1
    assert not Notification.objects.filter(verb="extension.requested").exclude(recipient=demo["admin"]).exists()
    services.extension_decide(extension_id=ext.pk, actor=demo["admin"], approve=True, comment="Fine.")
    review.refresh_from_db()
    assert review.window_end == add_calendar_days(end, 5)
    ext.refresh_from_db()
    assert (ext.status, ext.previous_end, ext.new_end) == (ExtensionStatus.APPROVED, end, review.window_end)
    last = ReviewTransition.objects.filter(review=review).last()
    assert last.name == "extend" and "Extended by 5 days at NSA's request" in last.comment
    told = set(Notification.objects.filter(verb="extension.approved").values_list("recipient__email", flat=True))
    assert told == {"reviewer.nsa@agency.example", "lead.nsa@agency.example", "liaison@northwind.example"}
    company_note = Notification.objects.get(verb="extension.approved", recipient=demo["liaison_northwind"])
    assert "Riley" not in company_note.title + company_note.body


def test_decline_leaves_window_alone(demo):
    review = demo["atlas"]
    end = review.window_end
    ext = services.extension_request(review_id=review.pk, actor=demo["lead_nsa"], days=3, reason="More time")
    services.extension_decide(extension_id=ext.pk, actor=demo["admin"], approve=False, comment="Not needed.")
    assert Review.objects.get(pk=review.pk).window_end == end
    assert ExtensionRequest.objects.get(pk=ext.pk).status == ExtensionStatus.DECLINED
    assert not ReviewTransition.objects.filter(review=review, name="extend").exists()
    assert Notification.objects.get(verb="extension.declined", recipient=demo["lead_nsa"]).body == "Not needed."


@pytest.mark.parametrize("days", [0, -3])
def test_extension_that_shortens_the_window_is_refused_with_field_message(demo, days):
    with pytest.raises(ValidationError) as exc:
        services.extension_request(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], days=days, reason="x")
    assert "days" in exc.value.message_dict
    assert not ExtensionRequest.objects.exists()


def test_page_refuses_negative_days_with_field_message(demo, login):
    review = demo["atlas"]
    client = login(demo["reviewer_nsa"], accept_terms_for=[review])
    response = client.post(reverse("review_extension_request", kwargs={"pk": review.pk}), {"days": "-2", "reason": "x"}, follow=True)
    assert "Extra days: An extension adds at least one day; it cannot shorten the window." in response.content.decode()
    assert not ExtensionRequest.objects.exists()


@pytest.mark.parametrize("role", ["admin", "reviewer_cisa", "lead_cisa", "liaison_northwind"])
def test_only_participants_may_ask(demo, role):
    with pytest.raises(PermissionDenied):
        services.extension_request(review_id=demo["atlas"].pk, actor=demo[role], days=2, reason="x")


@pytest.mark.parametrize("role", ["lead_nsa", "reviewer_nsa", "liaison_northwind"])
def test_only_program_admins_decide(demo, role):
    ext = services.extension_request(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], days=2, reason="x")
    with pytest.raises(PermissionDenied):
        services.extension_decide(extension_id=ext.pk, actor=demo[role], approve=True)
    assert ExtensionRequest.objects.get(pk=ext.pk).status == ExtensionStatus.PENDING


def test_second_decision_is_refused(demo):
    review = demo["atlas"]
    ext = services.extension_request(review_id=review.pk, actor=demo["reviewer_nsa"], days=2, reason="x")
    services.extension_decide(extension_id=ext.pk, actor=demo["admin"], approve=True)
    end = Review.objects.get(pk=review.pk).window_end
    with pytest.raises(services.ExtensionError, match="already approved"):
        services.extension_decide(extension_id=ext.pk, actor=demo["admin"], approve=True)
    assert Review.objects.get(pk=review.pk).window_end == end


def test_page_flow_and_company_sees_agency_not_requester(demo, login):
    review = demo["atlas"]
    client = login(demo["reviewer_nsa"], accept_terms_for=[review])
    client.post(reverse("review_extension_request", kwargs={"pk": review.pk}), {"days": "4", "reason": "Need a rerun."})
    ext = ExtensionRequest.objects.get()
    admin = login(demo["admin"])
    response = admin.post(reverse("extension_decide", kwargs={"pk": ext.pk}), {"decision": "approve"})
    assert response.status_code == 302
    assert Review.objects.get(pk=review.pk).window_end == add_calendar_days(review.window_end, 4)
    html = login(demo["liaison_northwind"]).get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    assert "Window extended" in html and "Need a rerun." in html
    assert "Riley" not in html


@pytest.mark.django_db(transaction=True)
def test_two_admins_deciding_at_once_move_the_window_once():
    import threading

    from django.db import connection

    from accounts.models import Role
    from accounts.tests.factories import make_user

    from .factories import assign, make_review

    review = make_review()
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=review.agencies.get())
    assign(review, reviewer)
    ext = services.extension_request(review_id=review.pk, actor=reviewer, days=4, reason="Rerun")
    end = Review.objects.get(pk=review.pk).window_end
    admins = [make_user(role=Role.PROGRAM_ADMIN) for _ in range(2)]
    barrier = threading.Barrier(2)
    results = []

    def decide(admin):
        try:
            barrier.wait()
            services.extension_decide(extension_id=ext.pk, actor=admin, approve=True)
            results.append("won")
        except services.ExtensionError as exc:
            results.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(a,)) for a in admins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["This request was already approved.", "won"]
    assert Review.objects.get(pk=review.pk).window_end == add_calendar_days(end, 4)
    assert ReviewTransition.objects.filter(review=review, name="extend").count() == 1
