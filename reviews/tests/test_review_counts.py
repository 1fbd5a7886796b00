"""The totals above the review lists: every review for the program office,
kept by PostgreSQL statement triggers (``ReviewTotal``), and a user's reviews,
counted off the reach index (the list's ``known_count``). Each test
changes access or reviews along one path and compares the total with the rows
themselves and with the number the list page shows."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from reviews.models import Review, ReviewReach, ReviewTotal
from reviews.querysets import reach_of, review_total
from reviews.selectors import review_list
from reviews.services import access_grant, access_revoke

from .factories import make_review

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.select_related("membership").get(pk=user.pk)


def _count(user) -> int:
    """The list's count, after checking it against the reach rows it stands for."""
    counted = review_list(user=_fresh(user)).known_count()
    assert counted == reach_of(user).count()
    return counted


@pytest.fixture
def world(agency_world):
    return agency_world(4)


def _grant(world, review, **kwargs):
    access_grant(review=review, codename="view_review", actor=world["admin"], reason="t", **kwargs)


def test_reach_count_follows_direct_grants_revocations_and_expiry_changes(world):
    reviewer, (r1, r2, r3, _) = world["reviewer"], world["reviews"]
    assert _count(reviewer) == 0
    _grant(world, r1, user=reviewer)
    _grant(world, r2, user=reviewer)
    assert _count(reviewer) == 2

    soon = timezone.now() + timedelta(hours=1)
    _grant(world, r3, user=reviewer, expires_at=soon)
    assert _count(reviewer) == 3
    # The same row changing from expiring to not and back.
    ReviewReach.objects.filter(user=reviewer, review=r3).update(expires_at=None)
    assert _count(reviewer) == 3
    ReviewReach.objects.filter(user=reviewer, review=r3).update(expires_at=soon)
    assert _count(reviewer) == 3

    access_revoke(review=r1, actor=world["admin"], reason="t", user=reviewer)
    assert _count(reviewer) == 2

    with time_machine.travel(soon + timedelta(seconds=1)):
        # Expired without any write: gone from the count as from the list.
        assert _count(reviewer) == 1
        page = review_list(user=_fresh(reviewer))
        assert page.known_count() == 1 == len(list(page))


def test_reach_count_follows_group_grants_and_membership(world):
    reviewer, (r1, r2, _, _) = world["reviewer"], world["reviews"]
    other = make_user(role=Role.AGENCY_REVIEWER, org=world["agency"])
    team = Group.objects.create(name="team")
    team.user_set.add(reviewer)
    _grant(world, r1, group=team)
    _grant(world, r2, group=team)
    _grant(world, r1, user=reviewer)  # a second path to r1: still one review
    assert (_count(reviewer), _count(other)) == (2, 0)

    team.user_set.add(other)
    assert (_count(reviewer), _count(other)) == (2, 2)
    team.user_set.remove(reviewer)
    assert (_count(reviewer), _count(other)) == (1, 2)  # r1 stays through the direct grant
    access_revoke(review=r2, actor=world["admin"], reason="t", group=team)
    assert (_count(reviewer), _count(other)) == (1, 1)


def test_reach_count_follows_a_deleted_review(world):
    reviewer, (r1, r2, _, _) = world["reviewer"], world["reviews"]
    _grant(world, r1, user=reviewer)
    _grant(world, r2, user=reviewer)
    Review.objects.filter(pk=r2.pk).delete()  # its reach rows go with it
    assert _count(reviewer) == 1


def test_review_total_follows_created_and_deleted_reviews(world):
    before = Review.objects.count()  # the demo world's and the fixture's
    assert review_total()() == before
    extra = make_review(agencies=[world["agency"]], admin=world["admin"])
    assert review_total()() == before + 1
    Review.objects.filter(pk__in=[extra.pk, world["reviews"][0].pk]).delete()
    assert review_total()() == Review.objects.count() == before - 1
    # A statement that deletes nothing leaves the total alone.
    Review.objects.filter(pk=-1).delete()
    assert review_total()() == before - 1


def test_rebuild_gives_what_the_triggers_keep(world):
    make_review(agencies=[world["agency"]], admin=world["admin"])
    Review.objects.filter(pk=world["reviews"][0].pk).delete()
    total = ReviewTotal.objects.get().reviews
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_review_total_rebuild()")
    assert ReviewTotal.objects.get().reviews == total == Review.objects.count()


def test_list_pages_show_the_counts(client, world):
    """The number above each list is the list's length: the kept total for the
    program office, the reach count for a reviewer."""
    from journeys.browser import force_login_mfa

    reviewer, admin = world["reviewer"], world["admin"]
    for review in world["reviews"][:3]:
        _grant(world, review, user=reviewer)
    for user, expected in ((reviewer, 3), (admin, Review.objects.count())):
        force_login_mfa(client, user)
        page = client.get("/reviews/?per_page=10").context["page"]
        assert page.paginator.count == expected == len(page.object_list)
