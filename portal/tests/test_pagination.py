"""Page rows come back in the list's own order on every page, read in two
steps (ids, then rows) and from the far end past the middle."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from portal.pagination import page_rows
from reviews.models import Review
from reviews.selectors import SORTS, review_list
from reviews.tests.factories import assign, make_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    agency = AgencyFactory()
    admin = make_user(role=Role.PROGRAM_ADMIN)
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)
    reviews = [make_review(agencies=[agency], admin=admin) for _ in range(7)]
    # Ties on the deadline: the id decides, in both directions.
    base = timezone.now() + timedelta(days=3)
    for i, review in enumerate(reviews):
        Review.objects.filter(pk=review.pk).update(window_end=base + timedelta(days=i // 3))
    for review in reviews[:6]:
        assign(review, reviewer)
    return {"admin": admin, "reviewer": reviewer, "reviews": reviews}


@pytest.mark.parametrize("who", ["admin", "reviewer"])
def test_page_rows_match_plain_slicing_on_every_page_and_order(world, who):
    user = type(world[who]).objects.select_related("membership").get(pk=world[who].pk)
    for sort in SORTS:
        # The demo world is there too; the program admin sees it all. Page through this world's reviews.
        qs = review_list(user=user, sort=sort).filter(pk__in=[r.pk for r in world["reviews"]])
        expected = [r.pk for r in qs]
        assert len(expected) == (7 if who == "admin" else 6)
        for size in (1, 2, 3, 5, 10):
            for offset in range(0, len(expected), size):
                got = [r.pk for r in page_rows(qs, offset=offset, limit=size, total=len(expected))]
                assert got == expected[offset : offset + size], (sort, size, offset)


def test_page_rows_keep_joins_and_annotations_and_cost_two_queries_on_any_page(world):
    user = type(world["admin"]).objects.select_related("membership").get(pk=world["admin"].pk)
    qs = review_list(user=user).filter(pk__in=[r.pk for r in world["reviews"]])
    for offset in (0, 3, 6):
        with CaptureQueriesContext(connection) as ctx:
            rows = page_rows(qs, offset=offset, limit=2, total=7)
            names = [r.agency_labels for r in rows]
            models = [r.model.name for r in rows]
        # ids, then rows with model and company joined and agencies' acronyms annotated
        assert len(ctx.captured_queries) == 2, offset
        assert names == [sorted(a.acronym for a in r.agencies.all()) for r in rows] and all(names)
        assert all(models)


def test_page_rows_past_the_end_is_empty(world):
    user = type(world["admin"]).objects.select_related("membership").get(pk=world["admin"].pk)
    qs = review_list(user=user).filter(pk__in=[r.pk for r in world["reviews"]])
    assert page_rows(qs, offset=7, limit=5, total=7) == []
