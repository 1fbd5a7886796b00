"""A participation's copy of its review's status and dates (ReviewAgency.review_*,
kept by PostgreSQL triggers, reviews/0024) follows every way the review
changes, so the lead's "assign a reviewer" and "sign off" sections — read off
those copies — hold exactly the reviews in that state, in the review's order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reviews import services
from reviews.models import Review, ReviewAgency

pytestmark = pytest.mark.django_db

COPIES = ("review_status", "review_window_start", "review_window_end", "review_submitted_at")
REVIEW = ("status", "window_start", "window_end", "submitted_at")


def _copies(review) -> dict[str, tuple]:
    return {p.agency.acronym: tuple(getattr(p, f) for f in COPIES)
            for p in ReviewAgency.objects.filter(review=review).select_related("agency")}


def _review(review) -> tuple:
    review = Review.objects.get(pk=review.pk)
    return tuple(getattr(review, f) for f in REVIEW)


def test_participation_copies_follow_the_review_through_its_lifecycle(demo, fresh_shared_review):
    review = fresh_shared_review
    submitted = _review(review)
    assert submitted[0] == "submitted" and submitted[3] is not None and submitted[1] is None
    assert _copies(review) == {"NSA": submitted, "CISA": submitted}

    services.review_open(review_id=review.pk, actor=demo["admin"])
    opened = _review(review)
    assert opened[0] == "in_review" and opened[1] is not None and opened[2] is not None
    assert _copies(review) == {"NSA": opened, "CISA": opened}

    # A bulk update and a model save take the same way.
    later = timezone.now() + timedelta(days=40)
    Review.objects.filter(pk=review.pk).update(window_end=later)
    assert _copies(review)["NSA"][2] == later
    row = Review.objects.get(pk=review.pk)
    row.status = "closed"
    row.save()
    assert {c[0] for c in _copies(review).values()} == {"closed"}
    # Another review's participations are untouched.
    atlas = demo["atlas"]
    assert _copies(atlas)["NSA"] == _review(atlas)


def test_stale_participation_save_is_corrected_and_a_new_one_takes_the_review(demo, fresh_shared_review):
    review = fresh_shared_review
    participation = ReviewAgency.objects.get(review=review, agency=demo["nsa"])
    participation.review_status = "draft"  # a stale copy written back
    participation.review_window_end = timezone.now()
    participation.save()
    assert _copies(review)["NSA"] == _review(review)

    ReviewAgency.objects.filter(pk=participation.pk).delete()
    ReviewAgency.objects.create(review=review, agency=demo["nsa"])
    assert _copies(review)["NSA"] == _review(review)
