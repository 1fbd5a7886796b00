"""The review list's orders off the reach rows (selectors.REACH_SORTS) and, for
the program office, off ReviewNameKey (NAME_KEY_SORTS) are the list's own
orders (selectors.SORTS), and the copies of the sort keys follow every change
of the review, its model and its company (migration 0015's triggers, in the
same transaction)."""

import pytest

from companies.models import AIModel, Company
from reviews import services
from reviews.models import Review, ReviewNameKey, ReviewReach, ReviewStatus
from reviews.selectors import NAME_KEY_SORTS, REACH_SORTS, SORTS, review_list

pytestmark = pytest.mark.django_db


def _order(qs):
    return list(qs.values_list("pk", flat=True))


def test_reach_orders_equal_the_lists_orders_for_every_sort(demo):
    assert set(REACH_SORTS) == set(SORTS)
    for who in ("lead_nsa", "reviewer_nsa", "liaison_northwind", "liaison_contoso"):
        user = demo[who]
        for sort in SORTS:
            qs = review_list(user=user, sort=sort)
            expected = _order(qs)
            assert expected, (who, sort)
            assert list(qs.page_ids) == expected, (who, sort)
            assert list(qs.page_ids.reverse()) == expected[::-1], (who, sort)
    for sort in NAME_KEY_SORTS:
        qs = review_list(user=demo["admin"], sort=sort)
        assert list(qs.page_ids) == _order(qs) and len(_order(qs)) == Review.objects.count(), sort


def _copies(review):
    return set(ReviewReach.objects.filter(review=review).values_list("status", "window_end", "created_at", "model_name", "company_name"))


def _truth(review):
    review = Review.objects.select_related("model", "company").get(pk=review.pk)
    return {(review.status, review.window_end, review.created_at, review.model.name, review.company.name)}


def test_reach_sort_keys_follow_status_deadline_model_and_company_changes(demo):
    liaison, admin = demo["liaison_northwind"], demo["admin"]
    atlas, helix = demo["atlas"], demo["helix"]
    helix_before = _copies(helix)
    review = services.review_create(actor=liaison, model=demo["atlas_mini"].model, agencies=[demo["nsa"]], summary="Sorting")
    assert _copies(review) == _truth(review) and _truth(review) == {(ReviewStatus.DRAFT, None, review.created_at, "Atlas-2 Mini", "Northwind AI")}
    services.review_submit(review_id=review.pk, actor=liaison)
    services.review_open(review_id=review.pk, actor=admin)
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_REVIEW and review.window_end is not None
    # The company's liaison and the agency's lead reach it; every row carries the opened review's keys.
    assert {liaison.pk, demo["lead_nsa"].pk} <= set(ReviewReach.objects.filter(review=review).values_list("user_id", flat=True))
    assert _copies(review) == _truth(review)

    # Renames (the Django admin) reach every review of the model or company, and only those.
    AIModel.objects.filter(pk=review.model_id).update(name="Zephyr")
    company = Company.objects.get(pk=review.company_id)
    company.name = "Aardvark Labs"
    company.save()
    assert _copies(review) == _truth(review) and {row[3:] for row in _copies(review)} == {("Zephyr", "Aardvark Labs")}
    assert {row[4] for row in _copies(atlas)} == {"Aardvark Labs"} and {row[3] for row in _copies(atlas)} == {"Atlas-2"}
    assert _copies(helix) == helix_before
    keys = dict((pk, (m, c)) for pk, m, c in ReviewNameKey.objects.values_list("review_id", "model_name", "company_name"))
    assert set(keys) == set(Review.objects.values_list("pk", flat=True))
    assert keys[review.pk] == ("Zephyr", "Aardvark Labs") and keys[atlas.pk] == ("Atlas-2", "Aardvark Labs")
    assert keys[helix.pk] == ("Helix-1", "Contoso Labs")

    # And the liaison's list by model and by company puts it where the reviews' own order does.
    for sort in ("model", "-model", "company", "-company", "status", "-status", "-deadline"):
        for user in (liaison, admin):
            qs = review_list(user=user, sort=sort)
            if sort in NAME_KEY_SORTS or user == liaison:
                assert list(qs.page_ids) == _order(qs), (sort, user)
    assert list(review_list(user=liaison, sort="-model").page_ids)[0] == review.pk


def test_one_status_lists_come_off_the_reach_rows_in_the_lists_order(demo):
    seen = 0
    for who in ("lead_nsa", "reviewer_nsa", "liaison_northwind", "liaison_contoso"):
        user = demo[who]
        for status in ReviewStatus.values:
            for sort in SORTS:
                qs = review_list(user=user, sort=sort, status=status)
                expected = _order(qs)
                assert list(qs.page_ids) == expected, (who, status, sort)
                assert list(qs.page_ids.reverse()) == expected[::-1], (who, status, sort)
                assert qs.known_count() == len(expected) == Review.objects.visible_to(user).filter(status=status).count()
                seen += len(expected)
    assert seen  # some status holds reviews for these readers


def test_one_status_pages_keep_each_status_apart(demo, login):
    """The status is a constant of the kept page-ids statement: one status's
    page never answers another's."""
    from django.urls import reverse

    user = demo["liaison_northwind"]
    services.review_create(actor=user, model=demo["atlas_mini"].model, agencies=[demo["nsa"]], summary="A draft beside the reviews in review")
    client = login(user)
    statuses = sorted(set(Review.objects.visible_to(user).values_list("status", flat=True)))
    assert len(statuses) >= 2, statuses
    for _ in range(2):  # the second time through kept statements
        for status in statuses:
            page = client.get(reverse("review_list"), {"status": status}).context["page"]
            expected = list(Review.objects.visible_to(user).filter(status=status).order_by("window_end", "id").values_list("pk", flat=True))
            assert [r.pk for r in page.object_list] == expected and page.paginator.count == len(expected), status
