"""Extensions the company has a say in (issue 17 item 3): a participating agency's
lead asks (a reviewer asks their lead), the company consents or objects with a
reason, the other agencies state their position, the program office decides;
the window moves on approval; everyone is told once. Mostly on the shared demo
review (Atlas-2 Mini: NSA and CISA)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from notifications.models import Notification
from portal.calendar import add_calendar_days
from reviews import services
from reviews.models import ExtensionPosition, ExtensionRequest, ExtensionStatus, Review, ReviewTransition

pytestmark = pytest.mark.django_db


def _ask(demo, review=None, *, lead="lead_nsa", days=5, reason="Credentials arrived late."):
    review = review or demo["atlas_mini"]
    services.terms_accept(review=review, user=demo[lead])
    return services.extension_request(review_id=review.pk, actor=demo[lead], days=days, reason=reason)


def _told(verb):
    return sorted(Notification.objects.filter(verb=verb).values_list("recipient__email", flat=True))


def _state(review):
    return (
        sorted(ExtensionRequest.objects.filter(review=review).values_list(
            "id", "status", "company_answer", "company_reason", "decided_without_company")),
        Review.objects.get(pk=review.pk).window_end,
        ReviewTransition.objects.filter(review=review).count(),
        ExtensionPosition.objects.count(),
    )


def test_lead_asks_company_consents_other_agency_positions_office_approves_and_everyone_is_told_once(demo):
    review = demo["atlas_mini"]
    end = review.window_end
    ext = _ask(demo)
    assert (ext.status, ext.agency, ext.company_answer) == (ExtensionStatus.PENDING, demo["nsa"], "")
    # The company (who answers), the program office (who decides) and the other agency's lead are told.
    assert _told("extension.requested") == [
        "admin@portal.example", "lead.cisa@agency.example", "liaison@northwind.example",
    ]
    company_note = Notification.objects.get(verb="extension.requested", recipient=demo["liaison_northwind"])
    assert "Lee" not in company_note.title + company_note.body and "NSA asks for 5 days more" in company_note.title

    services.extension_position(extension_id=ext.pk, actor=demo["lead_cisa"], supports=True, note="We need it too.")
    services.extension_answer(extension_id=ext.pk, actor=demo["liaison_northwind"], consent=True, reason="Release can move a week.")
    assert _told("extension.answered") == ["admin@portal.example", "lead.nsa@agency.example"]

    services.extension_decide(extension_id=ext.pk, actor=demo["admin"], approve=True, comment="Fine.")
    fresh = Review.objects.get(pk=review.pk)
    assert fresh.window_end == add_calendar_days(end, 5)
    ext.refresh_from_db()
    assert (ext.status, ext.previous_end, ext.new_end, ext.company_answer) == (
        ExtensionStatus.APPROVED, end, fresh.window_end, "consent"
    )
    names = [t.name for t in fresh.transitions.all()][-3:]
    assert names == ["extension_request", "extension_answer", "extend"]
    last = fresh.transitions.last()
    assert last.comment == "Extended by 5 days at NSA's request (the company consented). Fine."
    # Reviewers, leads and the company are told of the decision, exactly once each.
    assert _told("extension.approved") == [
        "lead.cisa@agency.example", "lead.nsa@agency.example", "liaison@northwind.example",
        "reviewer.cisa@agency.example", "reviewer.nsa@agency.example",
    ]


def test_company_objects_and_office_declines_window_stays(demo):
    review = demo["atlas_mini"]
    end = review.window_end
    ext = _ask(demo, lead="lead_cisa", days=3)
    services.extension_answer(extension_id=ext.pk, actor=demo["liaison_northwind"], consent=False, reason="Launch date is fixed.")
    services.extension_decide(extension_id=ext.pk, actor=demo["admin"], approve=False, comment="The company objects.")
    assert Review.objects.get(pk=review.pk).window_end == end
    assert ExtensionRequest.objects.get(pk=ext.pk).status == ExtensionStatus.DECLINED
    decline = ReviewTransition.objects.filter(review=review, name="extension_decline").get()
    assert decline.comment == "Declined: 3 days at CISA's request (the company objected). The company objects."
    assert not ReviewTransition.objects.filter(review=review, name="extend").exists()
    assert Notification.objects.get(verb="extension.declined", recipient=demo["reviewer_nsa"]).body == "The company objects."


def test_decision_before_the_company_answered_needs_the_reason(demo):
    review = demo["atlas_mini"]
    ext = _ask(demo)
    before = _state(review)
    with pytest.raises(ValidationError) as exc:
        services.extension_decide(extension_id=ext.pk, actor=demo["admin"], approve=True)
    assert exc.value.message_dict == {
        "without_company": ["The company has not answered yet: wait for its answer, or record why the decision cannot wait."]
    }
    assert _state(review) == before
    services.extension_decide(
        extension_id=ext.pk, actor=demo["admin"], approve=True, without_company="The window ends tonight; the liaison is away."
    )
    ext.refresh_from_db()
    assert (ext.status, ext.decided_without_company) == ("approved", "The window ends tonight; the liaison is away.")


@pytest.mark.parametrize("role", ["admin", "reviewer_nsa", "reviewer_cisa", "liaison_northwind", "liaison_contoso"])
def test_only_participating_leads_ask(demo, role):
    review = demo["atlas_mini"]
    before = _state(review)
    with pytest.raises(PermissionDenied):
        services.extension_request(review_id=review.pk, actor=demo[role], days=2, reason="x")
    assert _state(review) == before


@pytest.mark.parametrize("role", ["lead_nsa", "lead_cisa", "reviewer_nsa", "liaison_northwind"])
def test_no_agency_and_not_the_company_decides(demo, role):
    review = demo["atlas_mini"]
    ext = _ask(demo)
    services.extension_answer(extension_id=ext.pk, actor=demo["liaison_northwind"], consent=True, reason="OK.")
    before = _state(review)
    with pytest.raises(PermissionDenied, match="Only the program office decides"):
        services.extension_decide(extension_id=ext.pk, actor=demo[role], approve=True)
    assert _state(review) == before


@pytest.mark.parametrize("role", ["admin", "lead_nsa", "lead_cisa", "reviewer_nsa"])
def test_only_the_company_answers(demo, role):
    review = demo["atlas_mini"]
    ext = _ask(demo)
    before = _state(review)
    with pytest.raises(PermissionDenied):
        services.extension_answer(extension_id=ext.pk, actor=demo[role], consent=True, reason="Fine.")
    assert _state(review) == before


def test_bad_input_is_refused_with_the_reason_and_nothing_written(demo):
    review = demo["atlas_mini"]
    services.terms_accept(review=review, user=demo["lead_nsa"])
    for days, reason, field in ((0, "x", "days"), (-3, "x", "days"), (2, "  ", "reason")):
        with pytest.raises(ValidationError) as exc:
            services.extension_request(review_id=review.pk, actor=demo["lead_nsa"], days=days, reason=reason)
        assert list(exc.value.message_dict) == [field]
    assert not ExtensionRequest.objects.exists()
    ext = _ask(demo)
    before = _state(review)
    # One pending request per review at a time.
    with pytest.raises(services.ExtensionError, match="^NSA's request for 5 days is still waiting for its decision"):
        _ask(demo, lead="lead_cisa")
    with pytest.raises(ValidationError) as exc:
        services.extension_answer(extension_id=ext.pk, actor=demo["liaison_northwind"], consent=False, reason=" ")
    assert list(exc.value.message_dict) == ["reason"]
    with pytest.raises(services.ExtensionError, match="its position is the request"):
        services.extension_position(extension_id=ext.pk, actor=demo["lead_nsa"], supports=True)
    assert _state(review) == before
    services.extension_answer(extension_id=ext.pk, actor=demo["liaison_northwind"], consent=False, reason="No.")
    answered = _state(review)
    with pytest.raises(services.ExtensionError, match="^The company already answered: it objects.$"):
        services.extension_answer(extension_id=ext.pk, actor=demo["liaison_northwind"], consent=True, reason="Yes after all.")
    services.extension_decide(extension_id=ext.pk, actor=demo["admin"], approve=False)
    decided = _state(review)
    assert decided != answered
    with pytest.raises(services.ExtensionError, match="already declined"):
        services.extension_decide(extension_id=ext.pk, actor=demo["admin"], approve=True)
    assert _state(review) == decided


def test_reviewer_asks_their_lead_who_is_told_and_nothing_is_requested(demo, login):
    review = demo["atlas_mini"]
    client = login(demo["reviewer_nsa"], accept_terms_for=[review])
    response = client.post(reverse("review_extension_request", kwargs={"pk": review.pk}), {"days": "4", "reason": "Need a rerun."})
    assert response.status_code == 302
    assert not ExtensionRequest.objects.exists()
    note = Notification.objects.get(verb="extension.suggested")
    assert (note.recipient, note.body) == (demo["lead_nsa"], "Need a rerun.")
    assert "Riley Reviewer asks you to request 4 days more" in note.title


def test_request_form_keeps_its_input_on_error_and_company_sees_the_agency_not_the_person(demo, login):
    review = demo["atlas_mini"]
    client = login(demo["lead_nsa"], accept_terms_for=[review])
    url = reverse("review_extension_request", kwargs={"pk": review.pk})
    response = client.post(url, {"days": "-2", "reason": "Keep this reason"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "An extension adds at least one day; it cannot shorten the window." in html and "Keep this reason" in html
    assert not ExtensionRequest.objects.exists()
    assert client.post(url, {"days": "4", "reason": "Need a rerun."}).status_code == 302
    ext = ExtensionRequest.objects.get()
    company = login(demo["liaison_northwind"])
    answer = reverse("extension_answer", kwargs={"pk": ext.pk})
    response = company.post(answer, {"answer": "consent", "reason": ""})
    assert response.status_code == 400 and "Give the company&#x27;s reason" in response.content.decode()
    assert company.post(answer, {"answer": "consent", "reason": "Fine by us."}).status_code == 302
    admin = login(demo["admin"])
    page = admin.get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    assert "The company consents" in page and "Fine by us." in page
    assert admin.post(reverse("extension_decide", kwargs={"pk": ext.pk}), {"decision": "approve"}).status_code == 302
    html = login(demo["liaison_northwind"]).get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    assert "Window extended" in html and "Need a rerun." in html and "Lee" not in html


@pytest.mark.django_db(transaction=True)
def test_two_admins_deciding_at_once_move_the_window_once():
    import threading

    from django.db import connection

    from .factories import agency_lead, make_review

    review = make_review()
    lead = agency_lead(review.agencies.get())
    services.terms_accept(review=review, user=lead)
    ext = services.extension_request(review_id=review.pk, actor=lead, days=4, reason="Rerun")
    end = Review.objects.get(pk=review.pk).window_end
    admins = [make_user(role=Role.PROGRAM_ADMIN) for _ in range(2)]
    barrier = threading.Barrier(2)
    results = []

    def decide(admin):
        try:
            barrier.wait()
            services.extension_decide(extension_id=ext.pk, actor=admin, approve=True, without_company="Test: no liaison.")
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


def test_position_form_is_offered_to_the_other_agencys_lead_only_and_its_post_follows(demo, login):
    ext = _ask(demo)  # NSA asks on the shared review
    url = reverse("extension_position", kwargs={"pk": ext.pk})
    page = lambda role: login(demo[role], accept_terms_for=[demo["atlas_mini"]]).get(  # noqa: E731
        reverse("review_detail", kwargs={"pk": demo["atlas_mini"].pk})
    ).content.decode()
    assert url in page("lead_cisa")
    assert url not in page("lead_nsa") and url not in page("reviewer_cisa")
    # The asking agency's lead cannot post one either: 404, nothing written.
    response = login(demo["lead_nsa"]).post(url, {"position": "support", "note": "x"})
    assert response.status_code == 404
    assert not ExtensionPosition.objects.filter(extension=ext).exists()
    response = login(demo["lead_cisa"]).post(url, {"position": "support", "note": "We need it too."})
    assert response.status_code == 302
    assert list(ExtensionPosition.objects.filter(extension=ext).values_list("agency__acronym", "supports")) == [("CISA", True)]
