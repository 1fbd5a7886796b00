"""The totals above the review lists: every review for the program office
(``ReviewTotal``) and a user's reviews (``ReachDelta`` plus the expiring reach
rows counted live), kept by PostgreSQL statement triggers. Each test changes
access or reviews along one path and compares the total with the rows
themselves and with the number the list page shows."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from reviews.models import ReachDelta, Review, ReviewReach, ReviewTotal
from reviews.querysets import reach_count, reach_of, review_total
from reviews.selectors import review_list
from reviews.services import access_grant, access_revoke, reach_counts_compact
from reviews.tasks import compact_reach_counts

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
    reviewer, (r1, r2, r3, _) = world["reviewer"], world["reviews"]
    for review in (r1, r2, r3):
        _grant(world, review, user=reviewer)
    access_revoke(review=r2, actor=world["admin"], reason="t", user=reviewer)
    make_review(agencies=[world["agency"]], admin=world["admin"])
    Review.objects.filter(pk=world["reviews"][3].pk).delete()
    total = ReviewTotal.objects.get().reviews
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_review_total_rebuild()")
        cursor.execute("SELECT reviews_reach_delta_rebuild()")
    assert ReviewTotal.objects.get().reviews == total == Review.objects.count()
    assert list(ReachDelta.objects.filter(user=reviewer).values_list("delta", flat=True)) == [2]
    assert _count(reviewer) == 2


def test_compaction_folds_each_users_changes_into_one_row(world):
    reviewer, (r1, r2, r3, r4) = world["reviewer"], world["reviews"]
    gone = make_user(role=Role.AGENCY_REVIEWER, org=world["agency"])
    for review in (r1, r2, r3):
        _grant(world, review, user=reviewer)
    _grant(world, r4, user=reviewer, expires_at=timezone.now() + timedelta(days=1))  # counted live, never kept
    access_revoke(review=r2, actor=world["admin"], reason="t", user=reviewer)
    _grant(world, r1, user=gone)
    access_revoke(review=r1, actor=world["admin"], reason="t", user=gone)
    kept = list(ReachDelta.objects.filter(user=reviewer).values_list("delta", flat=True))
    assert len(kept) >= 4 and sum(kept) == 2  # a row per grant or revocation (the reach triggers may add pairs)
    assert ReachDelta.objects.filter(user=gone).count() >= 2

    folded = reach_counts_compact()

    assert folded >= 6  # the two users' rows (and any the demo world left)
    assert list(ReachDelta.objects.filter(user=reviewer).values_list("delta", flat=True)) == [2]
    assert not ReachDelta.objects.filter(user=gone).exists()  # back at nothing: no row at all
    assert (_count(reviewer), _count(gone)) == (3, 0)
    # Kept changes after a compaction add to the folded row.
    _grant(world, r2, user=reviewer)
    assert _count(reviewer) == 4
    assert compact_reach_counts() >= 2  # the periodic task, as beat runs it
    assert list(ReachDelta.objects.filter(user=reviewer).values_list("delta", flat=True)) == [3]
    assert settings.CELERY_BEAT_SCHEDULE["compact-reach-counts"]["task"] == "reviews.tasks.compact_reach_counts"


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


@pytest.mark.django_db(transaction=True)
def test_grants_to_the_same_people_in_opposite_orders_never_wait_on_each_others_counts(agency_world):
    """Two transactions give two people access, each in the other's order, and
    hold their first grant while making the second: both commit at once (a
    counter row per user would be taken by the first grant until commit, and
    the two would deadlock). A compaction meanwhile steps aside for another."""
    world = agency_world(2)
    first, (r1, r2) = world["reviewer"], world["reviews"]
    second = make_user(role=Role.AGENCY_REVIEWER, org=world["agency"])
    both_hold_one = threading.Barrier(2, timeout=10)
    outcome: dict[str, object] = {}

    def grant(name, review, people):
        from django.db import transaction

        try:
            with transaction.atomic():
                ReviewReach.objects.create(user=people[0], review=review)
                both_hold_one.wait()
                ReviewReach.objects.create(user=people[1], review=review)
                if name == "a":
                    outcome["compaction while another runs"] = _compaction_elsewhere()
            outcome[name] = "committed"
        except Exception as exc:  # noqa: BLE001 — the outcome is the assertion
            outcome[name] = repr(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=grant, args=("a", r1, (first, second))),
        threading.Thread(target=grant, args=("b", r2, (second, first))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcome["a"] == outcome["b"] == "committed"
    assert outcome["compaction while another runs"] == -1
    assert (reach_count(first)(), reach_count(second)()) == (2, 2) == (reach_of(first).count(), reach_of(second).count())


def _compaction_elsewhere() -> int:
    """What a compaction on another connection answers while this one's
    transaction has compacted (and holds the lock until it commits)."""
    answer: dict[str, int] = {}
    reach_counts_compact()

    def other():
        try:
            answer["other"] = reach_counts_compact()
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=10)
    return answer["other"]
