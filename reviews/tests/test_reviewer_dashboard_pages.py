"""The reviewer's dashboard table read in two parts (invitations, then accepted
work: ``portal.pagination.ChainedIds``) gives exactly the rows and count of
``Assignment.objects.visible_to`` in the table's order, on every page and page
size, forwards and from the end."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.pagination import page_rows
from reviews.models import ACTIVE_ASSIGNMENT, Assignment, Review, ReviewReach
from reviews.selectors import reviewer_dashboard

from .factories import assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer_world(agency_world):
    """A reviewer with two invitations, four accepted assignments and one
    accepted assignment whose grant has expired (out of sight), the deadlines
    interleaved across the parts (of unequal sizes, so that reading them from
    the end is not their mirror image)."""
    world = agency_world(7)
    reviewer, reviews = world["reviewer"], world["reviews"]
    base = timezone.now() + timedelta(days=5)
    for i, review in enumerate(reviews):
        # Invitations and accepted work alternate in deadline order.
        Review.objects.filter(pk=review.pk).update(window_end=base + timedelta(days=i))
    invited = [assign(reviews[i], reviewer, accept=False) for i in (1, 4)]
    accepted = [assign(reviews[i], reviewer) for i in (0, 2, 3, 5, 6)]
    expired = accepted.pop(1)
    ReviewReach.objects.filter(user=reviewer, review_id=expired.review_id).update(expires_at=timezone.now() - timedelta(minutes=1))
    user = type(reviewer).objects.select_related("membership").get(pk=reviewer.pk)
    return {"user": user, "invited": invited, "accepted": accepted, "expired": expired}


def _expected(user) -> list[int]:
    """The table as visible_to's one OR statement orders it."""
    return list(
        Assignment.objects.visible_to(user)
        .filter(status__in=ACTIVE_ASSIGNMENT)
        .order_by("-status", F("review_window_end").asc(nulls_last=True), "id")
        .values_list("pk", flat=True)
    )


def test_reviewer_dashboard_pages_match_visible_to_in_every_window(reviewer_world):
    user = reviewer_world["user"]
    expected = _expected(user)
    # Invitations first by deadline, then accepted work by deadline; the expired grant's assignment gone.
    assert expected == [a.pk for a in reviewer_world["invited"]] + [a.pk for a in reviewer_world["accepted"]]
    assert reviewer_world["expired"].pk not in expected
    total = len(expected)
    for limit in range(1, total + 1):
        for offset in range(total):
            qs = reviewer_dashboard(user=user)
            assert qs.known_count() == total
            rows = page_rows(qs, offset=offset, limit=limit, total=total)
            assert [a.pk for a in rows] == expected[offset : offset + limit], (offset, limit)


def test_reviewer_dashboard_count_and_ids_read_each_part_alone(reviewer_world):
    """The table's count and page ids never ask for invitations OR accepted
    work (visible_to's OR hashed every grant of the reader), and cost what the
    OR did: one statement for the count, one for the page's ids."""
    user = reviewer_world["user"]
    qs = reviewer_dashboard(user=user)
    with CaptureQueriesContext(connection) as ctx:
        total = qs.known_count()
        ids = list(qs.page_ids[0:25])
    assert total == 6 and ids == _expected(user)
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) == 2
    assert not any('OR ("reviews_assignment"."reviewer_id"' in sql for sql in statements), statements


def test_reviewer_dashboard_page_past_the_invitations_reads_only_the_accepted_work(reviewer_world):
    user = reviewer_world["user"]
    qs = reviewer_dashboard(user=user)
    qs.known_count()
    with CaptureQueriesContext(connection) as ctx:
        ids = list(qs.page_ids[2:4])
    assert ids == [a.pk for a in reviewer_world["accepted"][:2]]
    assert len(ctx.captured_queries) == 1
    assert "'accepted'" in ctx.captured_queries[0]["sql"] and "'invited'" not in ctx.captured_queries[0]["sql"]


@pytest.mark.usefixtures("empty_statement_cache")
def test_reviewer_dashboard_kept_count_and_ids_follow_each_reader_and_the_grants_now(reviewer_world, agency_world):
    """The count and ids statements are kept per reader (portal.statements):
    another agency's reviewer gets their own rows from their own statements,
    and a grant that expires after the statements were kept takes its
    assignment out of the count and the page at once."""
    from portal import statements

    user = reviewer_world["user"]
    other_world = agency_world(2)
    other = other_world["reviewer"]
    theirs = [assign(review, other) for review in other_world["reviews"]]
    other = type(other).objects.select_related("membership").get(pk=other.pk)
    for _ in range(2):  # compiled, then kept
        for reader, expected in ((user, _expected(user)), (other, [a.pk for a in theirs])):
            qs = reviewer_dashboard(user=reader)
            assert qs.known_count() == len(expected) and list(qs.page_ids[0:25]) == expected
    assert sum(ok for key, ok in statements.entries() if "portal.pagination.ChainedIds" in key[2]) == 4  # counts and ids, each reader
    gone = reviewer_world["accepted"][0]
    ReviewReach.objects.filter(user=user, review_id=gone.review_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    qs = reviewer_dashboard(user=user)
    expected = _expected(user)
    assert gone.pk not in expected and qs.known_count() == len(expected) == 5
    assert list(qs.page_ids[0:25]) == expected


def test_chained_ids_without_their_anchor_row_show_nothing(reviewer_world):
    """The reader's own row gone (deleted while signed in): no count, no ids, no error."""
    from accounts.models import User
    from portal.pagination import ChainedIds

    user = reviewer_world["user"]

    def parts(now):
        return [Assignment.objects.invitations_of(user).values_list("pk", flat=True), Assignment.objects.work_of(user).values_list("pk", flat=True)]

    ids = ChainedIds(parts, anchor=lambda: User.objects.filter(pk=-1), key=("test.anchorless", user.pk), now=timezone.now())
    assert ids.counts() == [0, 0] and ids.total() == 0 and ids[0:25] == []
