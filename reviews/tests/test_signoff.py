"""Several agencies, one review (issue 17 item 2): each agency's lead signs off for
their own agency; the last sign-off closes the review; the program office closes
after the window with a reason naming who did not sign; an agency lead never
closes for the others. On the shared demo review (Atlas-2 Mini: NSA and CISA)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from notifications.models import Notification
from readiness.models import ChecklistItem
from readiness.services import checklist_answer
from reviews import services, workflow
from reviews.models import Review, ReviewStatus, ReviewTransition, SignOff

from .factories import end_window, sign_off

pytestmark = pytest.mark.django_db


def _ready(review, demo):
    """Both agencies' checklists answered, each by its own reviewer (the guards would refuse otherwise)."""
    for item in ChecklistItem.objects.filter(review=review).select_related("agency"):
        reviewer = demo["reviewer_nsa"] if item.agency.acronym == "NSA" else demo["reviewer_cisa"]
        checklist_answer(item_id=item.pk, actor=reviewer, answer="met", note="Seen.")


def _state(review):
    fresh = Review.objects.get(pk=review.pk)
    return (
        fresh.status, fresh.closed_at, fresh.outcome_summary,
        sorted(SignOff.objects.filter(review=review).values_list("agency__acronym", flat=True)),
        ReviewTransition.objects.filter(review=review).count(),
    )


def _told(user, verb):
    return list(Notification.objects.filter(recipient=user, verb=verb).values_list("title", flat=True))


def test_nsa_lead_cannot_close_the_shared_review(demo, login):
    review = demo["atlas_mini"]
    _ready(review, demo)
    before = _state(review)
    with pytest.raises(workflow.TransitionError, match="^Only program admins may close the review."):
        services.review_close(review_id=review.pk, actor=demo["lead_nsa"], outcome_summary="Done.", comment="x")
    client = login(demo["lead_nsa"], accept_terms_for=[review])
    page = client.get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    assert "Close the review" not in page and "Sign off for NSA" in page
    response = client.post(
        reverse("review_transition", kwargs={"pk": review.pk, "name": "close"}), {"outcome_summary": "Done."}, follow=True
    )
    assert "Only program admins may close the review." in response.content.decode()
    assert _state(review) == before


def test_shared_review_closes_after_both_sign_offs_and_each_party_is_told_once(demo):
    review = demo["atlas_mini"]
    _ready(review, demo)
    sign_off(review, demo["lead_nsa"], conclusion="not_ready", summary="Refusals weaker than Atlas-2.", recommendations="Retrain.")
    fresh = Review.objects.get(pk=review.pk)
    assert fresh.status == ReviewStatus.IN_REVIEW
    assert _told(demo["lead_cisa"], "review.sign_off") == [f"{review}: NSA signed off (not ready)"]
    assert _told(demo["lead_nsa"], "review.sign_off") == []  # not told of their own act
    assert _told(demo["liaison_northwind"], "review.sign_off") == [] and _told(demo["reviewer_cisa"], "review.sign_off") == []
    assert _told(demo["liaison_northwind"], "review.close") == []

    sign_off(review, demo["lead_cisa"], conclusion="no_objection", summary="Classifier flag must be signed.")
    closed = Review.objects.get(pk=review.pk)
    assert closed.status == ReviewStatus.CLOSED
    assert closed.outcome_summary == "CISA: No objection. Classifier flag must be signed.\nNSA: Not ready. Refusals weaker than Atlas-2."
    assert closed.recommendations == "NSA: Retrain."
    # What was still open is recorded with the close: the two open questions, NSA's internal finding.
    assert closed.closing_warnings == ["2 questions to the company are still open.", "NSA: 1 finding not shared beyond the agency."]
    assert [t.name for t in closed.transitions.all()][-3:] == ["sign_off", "sign_off", "close"]
    assert _told(demo["lead_nsa"], "review.sign_off") == [f"{review}: CISA signed off (no objection)"]
    # Everyone who sees the review is told it closed, exactly once; the closing lead is not.
    for role in ("lead_nsa", "reviewer_nsa", "reviewer_cisa", "liaison_northwind", "admin"):
        assert _told(demo[role], "review.close") == [f"{review} was closed"], role
    assert _told(demo["lead_cisa"], "review.close") == []
    assert _told(demo["liaison_contoso"], "review.close") == []


def test_sign_off_bad_input_is_refused_with_the_reason_and_nothing_written(demo):
    review = demo["atlas_mini"]
    dod_lead = make_user(role=Role.AGENCY_LEAD, org=demo["dod"])
    before = _state(review)
    cases = [
        (demo["reviewer_nsa"], {}, PermissionDenied, "Only a participating agency's lead signs off"),
        (demo["admin"], {}, PermissionDenied, "Only a participating agency's lead signs off"),
        (demo["liaison_northwind"], {}, PermissionDenied, "Only a participating agency's lead signs off"),
        (dod_lead, {}, PermissionDenied, "Only a participating agency's lead signs off"),  # DOD does not take part
        (demo["lead_nsa"], {"conclusion": "maybe"}, ValidationError, "Choose ready, not ready"),
        (demo["lead_nsa"], {"summary": "  "}, ValidationError, "Summarise your agency's conclusion"),
    ]
    for actor, override, error, message in cases:
        with pytest.raises(error, match=message):
            services.signoff_record(
                review_id=review.pk, actor=actor, **{"conclusion": "ready", "summary": "Fine.", **override}
            )
    assert _state(review) == before
    # NSA's own checklist is not answered yet.
    with pytest.raises(services.SignOffError, match="^Answer your agency's readiness checklist first: 5 mandatory criteria are unanswered"):
        services.signoff_record(review_id=review.pk, actor=demo["lead_nsa"], conclusion="ready", summary="Fine.")
    assert _state(review) == before

    _ready(review, demo)
    sign_off(review, demo["lead_nsa"])
    once = _state(review)
    with pytest.raises(services.SignOffError, match="^NSA has already signed off this review.$"):
        services.signoff_record(review_id=review.pk, actor=demo["lead_nsa"], conclusion="ready", summary="Again.")
    assert _state(review) == once


def test_sign_off_after_the_window_or_after_closing_is_refused(demo):
    review = end_window(demo["atlas_mini"])
    with pytest.raises(services.SignOffError, match="window has ended"):
        services.signoff_record(review_id=review.pk, actor=demo["lead_nsa"], conclusion="ready", summary="Late.")
    _ready(review, demo)
    services.review_close(review_id=review.pk, actor=demo["admin"], outcome_summary="Closed.", comment="Window over.")
    before = _state(review)
    with pytest.raises(services.SignOffError, match="^A review that is closed cannot be signed off.$"):
        services.signoff_record(review_id=review.pk, actor=demo["lead_cisa"], conclusion="ready", summary="Late.")
    assert _state(review) == before


def test_program_office_closes_before_the_window_only_when_everyone_signed(demo):
    review = demo["atlas_mini"]
    _ready(review, demo)
    sign_off(review, demo["lead_nsa"])
    before = _state(review)
    with pytest.raises(workflow.TransitionError, match=r"still to sign off: CISA\)\.$"):
        services.review_close(review_id=review.pk, actor=demo["admin"], outcome_summary="Done.", comment="Enough.")
    assert _state(review) == before


def test_program_office_closes_after_the_window_with_a_reason_naming_who_did_not_sign(demo):
    review = end_window(demo["atlas_mini"])
    _ready(review, demo)
    Review.objects.filter(pk=review.pk).update()  # nothing else changes
    before = _state(review)
    with pytest.raises(ValidationError) as exc:
        services.review_close(review_id=review.pk, actor=demo["admin"], outcome_summary="Done.", comment=" ")
    assert exc.value.message_dict == {
        "comment": ["Give the reason the review closes without the sign-off of CISA, NSA; it is recorded with the close."]
    }
    assert _state(review) == before
    closed = services.review_close(
        review_id=review.pk, actor=demo["admin"], outcome_summary="Closed at the window's end.", comment="No answer from either lead."
    )
    assert closed.status == ReviewStatus.CLOSED
    close = closed.transitions.get(name="close")
    assert close.comment == "Closed without the sign-off of CISA, NSA: No answer from either lead."
    assert closed.closing_warnings[0] == "No sign-off from CISA, NSA."


def test_sign_off_page_keeps_the_input_on_error_and_shows_every_agency(demo, login):
    review = demo["atlas_mini"]
    _ready(review, demo)
    client = login(demo["lead_cisa"], accept_terms_for=[review])
    url = reverse("review_sign_off", kwargs={"pk": review.pk})
    response = client.post(url, {"conclusion": "", "summary": "Half a thought", "recommendations": "Keep me"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose ready, not ready, no objection or could not complete." in html
    assert "Half a thought" in html and "Keep me" in html
    assert not SignOff.objects.filter(review=review).exists()
    assert client.post(url, {"conclusion": "ready", "summary": "Safe enough."}).status_code == 302
    company = login(demo["liaison_northwind"]).get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    assert "Safe enough." in company and "NSA</span> <span class=\"muted\">has not signed off yet" in company
    assert "Cameron" not in company  # the agency, never the lead
