"""A liaison edits a draft review and deletes a draft never submitted; both stop at submission."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from companies.models import AIModel
from reviews import services
from reviews.models import Review, ReviewAgency

pytestmark = pytest.mark.django_db


def _draft(demo, **kw):
    atlas = AIModel.objects.get(name="Atlas-2")
    return services.review_create(
        actor=demo["liaison_northwind"], model=atlas, agencies=[demo["nsa"]], summary="Look at cyber uplift.",
        access_terms="Draft terms.", **kw,
    )


def _post(demo, review, **changes):
    data = {
        "model": review.model_id, "agencies": [demo["nsa"].pk], "summary": review.summary, "access_terms": review.access_terms,
        **changes,
    }
    return data


def test_draft_edit_changes_the_fields_given_and_records_them(demo, login):
    review = _draft(demo)
    mini = AIModel.objects.get(name="Atlas-2 Mini")
    client = login(demo["liaison_northwind"])
    assert client.get(reverse("review_edit", kwargs={"pk": review.pk})).status_code == 200
    response = client.post(
        reverse("review_edit", kwargs={"pk": review.pk}),
        _post(demo, review, model=mini.pk, agencies=[demo["nsa"].pk, demo["cisa"].pk], summary="Look at the distilled safeguards."),
    )
    assert response.status_code == 302 and response["Location"] == reverse("review_detail", kwargs={"pk": review.pk})
    after = Review.objects.get(pk=review.pk)
    assert (after.model_id, after.summary, after.access_terms, after.status) == (
        mini.pk, "Look at the distilled safeguards.", "Draft terms.", "draft"
    )
    assert sorted(ReviewAgency.objects.filter(review=review).values_list("agency__acronym", flat=True)) == ["CISA", "NSA"]
    event = AuditEvent.objects.filter(action="review.edit", target_id=str(review.pk)).get()
    assert event.payload == {"changes": {
        "model": ["Atlas-2 2.0", "Atlas-2 Mini 2.0"], "agencies": [["NSA"], ["CISA", "NSA"]],
        "summary": ["Look at cyber uplift.", "Look at the distilled safeguards."],
    }}
    # The draft's page offers the edit and the deletion.
    page = client.get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    assert reverse("review_edit", kwargs={"pk": review.pk}) in page and reverse("review_delete", kwargs={"pk": review.pk}) in page


def test_draft_edit_without_agencies_names_the_field_and_changes_nothing(demo, login):
    review = _draft(demo)
    client = login(demo["liaison_northwind"])
    response = client.post(reverse("review_edit", kwargs={"pk": review.pk}), _post(demo, review, agencies=[], summary="Changed"))
    assert response.status_code == 400
    assert "agencies" in response.context["form"].errors
    assert Review.objects.get(pk=review.pk).summary == "Look at cyber uplift."
    assert not AuditEvent.objects.filter(action="review.edit", target_id=str(review.pk)).exists()


def test_draft_edit_refused_once_submitted(demo, login):
    review = _draft(demo)
    services.review_submit(review_id=review.pk, actor=demo["liaison_northwind"])
    client = login(demo["liaison_northwind"])
    response = client.post(reverse("review_edit", kwargs={"pk": review.pk}), _post(demo, review, summary="Too late"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("review_detail", kwargs={"pk": review.pk})
    assert "only a draft can be changed" in response.content.decode()
    assert reverse("review_edit", kwargs={"pk": review.pk}) not in response.content.decode()
    assert Review.objects.get(pk=review.pk).summary == "Look at cyber uplift."
    with pytest.raises(services.DraftError, match="submitted"):
        services.review_update(
            review_id=review.pk, actor=demo["liaison_northwind"], model=review.model, agencies=[demo["nsa"]], summary="x"
        )


def test_draft_edit_and_delete_are_404_to_everyone_but_its_company(demo, login):
    review = _draft(demo)
    for role in ("liaison_contoso", "lead_nsa", "reviewer_nsa", "admin"):
        client = login(demo[role])
        assert client.get(reverse("review_edit", kwargs={"pk": review.pk})).status_code == 404, role
        assert client.post(reverse("review_delete", kwargs={"pk": review.pk})).status_code == 404, role
    assert Review.objects.filter(pk=review.pk).exists()


def test_draft_never_submitted_is_deleted_and_audited(demo, login):
    review = _draft(demo)
    others = set(Review.objects.exclude(pk=review.pk).values_list("pk", flat=True))
    client = login(demo["liaison_northwind"])
    response = client.post(reverse("review_delete", kwargs={"pk": review.pk}))
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert set(Review.objects.values_list("pk", flat=True)) == others
    event = AuditEvent.objects.filter(action="review.delete").get()
    assert (event.target_id, event.actor_id) == (str(review.pk), demo["liaison_northwind"].pk)
    assert event.payload["model"] == "Atlas-2 2.0" and event.payload["agencies"] == ["NSA"]


def test_draft_delete_refused_once_submitted_with_a_clear_message(demo, login):
    review = _draft(demo)
    services.review_submit(review_id=review.pk, actor=demo["liaison_northwind"])
    client = login(demo["liaison_northwind"])
    response = client.post(reverse("review_delete", kwargs={"pk": review.pk}), follow=True)
    assert response.redirect_chain[-1][0] == reverse("review_detail", kwargs={"pk": review.pk})
    assert "only a draft can be deleted. Withdraw it instead" in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == "submitted"
    assert not AuditEvent.objects.filter(action="review.delete").exists()


def test_review_create_links_to_registering_a_model(demo, login):
    page = login(demo["liaison_northwind"]).get(reverse("review_create")).content.decode()
    assert f'{reverse("model_create")}?next={reverse("review_create")}' in page


def test_draft_with_documents_is_not_deleted(demo, login):
    from documents.tests.factories import make_document

    review = _draft(demo)
    make_document(review, name="card.pdf")
    response = login(demo["liaison_northwind"]).post(reverse("review_delete", kwargs={"pk": review.pk}), follow=True)
    assert "documents are never deleted: withdraw the draft instead" in response.content.decode()
    assert Review.objects.filter(pk=review.pk, status="draft").exists()
    assert not AuditEvent.objects.filter(action="review.delete").exists()
