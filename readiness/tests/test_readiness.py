"""Readiness: the seeded catalogue, checklists per review, progress, and closing only when ready."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from conftest import DEMO_ROLES
from readiness import services
from readiness.models import DEFAULT_CRITERIA, ChecklistItem, ReadinessCriterion
from readiness.selectors import progress, progress_by_agency
from reviews import services as review_services
from reviews.models import Review, ReviewStatus
from reviews.tests.factories import end_window
from reviews.workflow import TransitionError

pytestmark = pytest.mark.django_db



def test_catalogue_is_seeded_with_mandatory_flags(demo):
    assert list(ReadinessCriterion.objects.values_list("name", "mandatory")) == [(n, m) for n, _, m in DEFAULT_CRITERIA]


def test_in_review_demo_reviews_carry_a_full_checklist_per_agency(demo):
    for key, agencies in (("atlas", ["NSA"]), ("helix", ["CISA"]), ("atlas_mini", ["CISA", "NSA"])):
        for acronym in agencies:
            assert demo[key].checklist.filter(agency__acronym=acronym).count() == len(DEFAULT_CRITERIA)
        assert demo[key].checklist.count() == len(DEFAULT_CRITERIA) * len(agencies)


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
    tally = progress(review=review)
    assert (tally.total, tally.answered, tally.mandatory_open, tally.met, tally.not_met) == (6, 5, 1, 5, 0)
    # NSA's sign-off needs its checklist; signing "could not complete" would close, which the close guard refuses.
    with pytest.raises(review_services.SignOffError, match="1 mandatory criterion is unanswered"):
        review_services.signoff_record(review_id=review.pk, actor=demo["lead_nsa"], conclusion="ready", summary="Done.")
    with pytest.raises(TransitionError, match="would close the review, but The review cannot close while 1 mandatory readiness criterion is unanswered"):
        review_services.signoff_record(review_id=review.pk, actor=demo["lead_nsa"], conclusion="could_not_complete", summary="Done.")
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.IN_REVIEW
    assert not review.sign_offs.exists()


def test_optional_criterion_may_stay_open_and_close_needs_outcome(demo):
    review = demo["atlas"]
    for item in review.checklist.filter(criterion__mandatory=True):
        services.checklist_answer(item_id=item.pk, actor=demo["lead_nsa"], answer="na")
    with pytest.raises(ValidationError) as exc:
        review_services.signoff_record(review_id=review.pk, actor=demo["lead_nsa"], conclusion="ready", summary=" ")
    assert "summary" in exc.value.message_dict
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.IN_REVIEW
    review_services.signoff_record(
        review_id=review.pk, actor=demo["lead_nsa"], conclusion="ready", summary="No release blockers.",
        recommendations="Patch the router CVE path.",
    )
    closed = Review.objects.get(pk=review.pk)
    assert (closed.status, closed.outcome_summary, closed.recommendations) == (
        "closed", "NSA: Ready. No release blockers.", "NSA: Patch the router CVE path."
    )


@pytest.mark.parametrize("role", ["admin", "liaison_northwind", "reviewer_cisa", "lead_cisa"])
def test_only_participants_answer(demo, role):  # CISA does not take part in Atlas-2
    item = demo["atlas"].checklist.first()
    with pytest.raises(PermissionDenied):
        services.checklist_answer(item_id=item.pk, actor=demo[role], answer="met")
    assert ChecklistItem.objects.get(pk=item.pk).answer == ""


def test_page_shows_progress_and_saves_an_answer(demo, login):
    review = demo["atlas"]
    client = login(demo["reviewer_nsa"], accept_terms_for=[review])
    item = review.checklist.first()
    response = client.post(reverse("checklist_item_answer", kwargs={"pk": item.pk}), {"answer": "not_met", "note": "No model card yet."})
    # Without JavaScript the page reloads at the item, not at its top.
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert (item.answer, item.note, item.answered_by) == ("not_met", "No model card yet.", demo["reviewer_nsa"])
    html = client.get(reverse("review_checklist", kwargs={"pk": review.pk})).content.decode()
    # "Met" counts only what is met: a "not met" answer is answered, never met.
    assert "Together: 0 of 6 criteria met, 1 not met; 1 answered; 4 mandatory still open" in html
    company = login(demo["liaison_northwind"]).get(reverse("review_checklist", kwargs={"pk": review.pk})).content.decode()
    assert "No model card yet." in company and "Riley" not in company


def test_saving_with_htmx_returns_the_item_alone(demo, login):
    review = demo["atlas"]
    client = login(demo["reviewer_nsa"], accept_terms_for=[review])
    item = review.checklist.first()
    url = reverse("checklist_item_answer", kwargs={"pk": item.pk})
    response = client.post(url, {"answer": "met", "note": "Seen."}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith(f'<li class="card" id="item-{item.pk}">')
    assert "Saved." in html and 'hx-target="#item-' in html and "<html" not in html
    bad = client.post(url, {"answer": "maybe"}, HTTP_HX_REQUEST="true").content.decode()
    assert "choose met, not met or not applicable" in bad
    assert ChecklistItem.objects.get(pk=item.pk).answer == "met"


def test_per_agency_checklists_do_not_mix_on_the_shared_review(demo, login):
    review = demo["atlas_mini"]
    nsa_item = review.checklist.get(agency=demo["nsa"], criterion__name="Model card")
    cisa_item = review.checklist.get(agency=demo["cisa"], criterion__name="Model card")
    services.checklist_answer(item_id=nsa_item.pk, actor=demo["reviewer_nsa"], answer="not_met", note="NSA-ONLY note")
    services.checklist_answer(item_id=cisa_item.pk, actor=demo["lead_cisa"], answer="met", note="CISA-ONLY note")
    # Neither agency answers the other's checklist; nothing changes.
    for actor, item in (("reviewer_nsa", cisa_item), ("lead_nsa", cisa_item), ("reviewer_cisa", nsa_item), ("lead_cisa", nsa_item)):
        with pytest.raises(PermissionDenied, match="each agency answers its own"):
            services.checklist_answer(item_id=item.pk, actor=demo[actor], answer="na")
    assert [ChecklistItem.objects.get(pk=i.pk).answer for i in (nsa_item, cisa_item)] == ["not_met", "met"]
    # Each agency sees its own checklist only; the program office and the company see both.
    assert set(ChecklistItem.objects.visible_to(demo["reviewer_nsa"], review=review).values_list("agency__acronym", flat=True)) == {"NSA"}
    assert set(ChecklistItem.objects.visible_to(demo["lead_cisa"], review=review).values_list("agency__acronym", flat=True)) == {"CISA"}
    for role in ("admin", "liaison_northwind"):
        assert set(ChecklistItem.objects.visible_to(demo[role], review=review).values_list("agency__acronym", flat=True)) == {"CISA", "NSA"}
    # Another agency's item answers 404, on the page as out of scope.
    client = login(demo["reviewer_cisa"], accept_terms_for=[review])
    assert client.post(reverse("checklist_item_answer", kwargs={"pk": nsa_item.pk}), {"answer": "na"}).status_code == 404
    page = client.get(reverse("review_checklist", kwargs={"pk": review.pk})).content.decode()
    assert "CISA-ONLY note" in page and "NSA-ONLY note" not in page
    assert "CISA's checklist" in page and "NSA's checklist" not in page
    # Each agency's progress (counts only) and the combined view are shown to everyone who sees the review.
    by_agency = {p.label: (p.met, p.not_met, p.answered, p.total) for p in progress_by_agency(review=review)}
    assert by_agency == {"CISA": (1, 0, 1, 6), "NSA": (0, 1, 1, 6)}
    combined = progress(review=review)
    assert (combined.met, combined.not_met, combined.answered, combined.total) == (1, 1, 2, 12)
    assert "<th scope=\"row\">NSA</th><td>0 of 6</td><td>1 <span class=\"cell-sub\">1 mandatory</span></td>" in page


def test_closing_through_the_page_refuses_with_the_reason(demo, login):
    review = end_window(demo["atlas"])
    client = login(demo["admin"])
    response = client.post(
        reverse("review_transition", kwargs={"pk": review.pk, "name": "close"}),
        {"outcome_summary": "Done.", "comment": "NSA did not answer."}, follow=True,
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


CHECKLIST_QUERIES = 7  # the page, its review and standing, the items, the tallies (combined, by agency) …
