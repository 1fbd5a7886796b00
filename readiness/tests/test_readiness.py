"""Readiness: the seeded catalogue, checklists per review, progress, and closing only when ready."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from conftest import DEMO_ROLES
from readiness import services
from readiness.models import DEFAULT_CRITERIA, ChecklistItem, ReadinessCriterion
from readiness.selectors import progress
from reviews import services as review_services
from reviews.models import Review, ReviewStatus
from reviews.workflow import TransitionError

pytestmark = pytest.mark.django_db



def test_catalogue_is_seeded_with_mandatory_flags(demo):
    assert list(ReadinessCriterion.objects.values_list("name", "mandatory")) == [(n, m) for n, _, m in DEFAULT_CRITERIA]


def test_in_review_demo_reviews_carry_a_full_checklist(demo):
    for key in ("atlas", "helix", "atlas_mini"):
        assert demo[key].checklist.count() == len(DEFAULT_CRITERIA)


def test_submitted_review_has_no_checklist_until_opened(fresh_shared_review):
    assert not fresh_shared_review.checklist.exists()


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_checklist_visibility_follows_the_review(demo, role):
    models = set(ChecklistItem.objects.visible_to(demo[role]).values_list("review__model__name", flat=True))
    expected = {
        "admin": {"Atlas-2", "Helix-1", "Atlas-2 Mini"},
        "lead_nsa": {"Atlas-2", "Atlas-2 Mini"},
        "reviewer_nsa": {"Atlas-2", "Atlas-2 Mini"},
        "liaison_northwind": {"Atlas-2", "Atlas-2 Mini"},
        "lead_cisa": {"Helix-1", "Atlas-2 Mini"},
        "reviewer_cisa": {"Helix-1", "Atlas-2 Mini"},
        "liaison_contoso": {"Helix-1"},
    }[role]
    assert models == expected


def _answer_all(demo, review, *, skip_mandatory: int = 0, actor="reviewer_nsa"):
    skipped = 0
    for item in review.checklist.select_related("criterion"):
        if item.criterion.mandatory and skipped < skip_mandatory:
            skipped += 1
            continue
        services.checklist_answer(item_id=item.pk, actor=demo[actor], answer="met", note="Seen.")


def test_progress_and_close_refused_while_a_mandatory_criterion_is_unanswered(demo):
    review = demo["atlas"]
    _answer_all(demo, review, skip_mandatory=1)
    assert progress(review=review) == type(progress(review=review))(total=6, answered=5, mandatory_open=1)
    with pytest.raises(TransitionError, match="cannot close while 1 mandatory readiness criterion is unanswered"):
        review_services.review_close(review_id=review.pk, actor=demo["lead_nsa"], outcome_summary="Done.")
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.IN_REVIEW


def test_optional_criterion_may_stay_open_and_close_needs_outcome(demo):
    review = demo["atlas"]
    for item in review.checklist.filter(criterion__mandatory=True):
        services.checklist_answer(item_id=item.pk, actor=demo["lead_nsa"], answer="na")
    with pytest.raises(ValidationError) as exc:
        review_services.review_close(review_id=review.pk, actor=demo["lead_nsa"], outcome_summary=" ")
    assert "outcome_summary" in exc.value.message_dict
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.IN_REVIEW
    closed = review_services.review_close(
        review_id=review.pk, actor=demo["lead_nsa"], outcome_summary="No release blockers.", recommendations="Patch the router CVE path."
    )
    assert (closed.status, closed.outcome_summary, closed.recommendations) == ("closed", "No release blockers.", "Patch the router CVE path.")


@pytest.mark.parametrize("role", ["admin", "liaison_northwind", "reviewer_cisa", "lead_cisa"])
def test_only_participants_answer(demo, role):
    item = demo["atlas"].checklist.first()
    with pytest.raises(PermissionDenied):
        services.checklist_answer(item_id=item.pk, actor=demo[role], answer="met")
    assert ChecklistItem.objects.get(pk=item.pk).answer == ""


def test_page_shows_progress_and_saves_an_answer(demo, login):
    review = demo["atlas"]
    client = login(demo["reviewer_nsa"], accept_terms_for=[review])
    item = review.checklist.first()
    response = client.post(reverse("checklist_item_answer", kwargs={"pk": item.pk}), {"answer": "not_met", "note": "No model card yet."})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.answer, item.note, item.answered_by) == ("not_met", "No model card yet.", demo["reviewer_nsa"])
    html = client.get(reverse("review_checklist", kwargs={"pk": review.pk})).content.decode()
    assert "1 of 6 criteria answered; 4 mandatory still open" in html
    company = login(demo["liaison_northwind"]).get(reverse("review_checklist", kwargs={"pk": review.pk})).content.decode()
    assert "No model card yet." in company and "Riley" not in company


def test_closing_through_the_page_refuses_with_the_reason(demo, login):
    review = demo["atlas"]
    client = login(demo["lead_nsa"], accept_terms_for=[review])
    response = client.post(
        reverse("review_transition", kwargs={"pk": review.pk, "name": "close"}), {"outcome_summary": "Done."}, follow=True
    )
    assert "The review cannot close while 5 mandatory readiness criteria are unanswered." in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.IN_REVIEW


@pytest.mark.parametrize("size", [1, 3])
def test_checklist_query_count_does_not_grow(demo, login, size, django_assert_num_queries):
    review = demo["atlas"]
    ChecklistItem.objects.filter(review=review).exclude(pk__in=list(review.checklist.values_list("pk", flat=True)[:size])).delete()
    client = login(demo["reviewer_nsa"], accept_terms_for=[review])
    url = reverse("review_checklist", kwargs={"pk": review.pk})
    client.get(url)
    with django_assert_num_queries(CHECKLIST_QUERIES):
        response = client.get(url)
    assert len(response.context["items"]) == size


CHECKLIST_QUERIES = 6
