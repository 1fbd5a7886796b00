"""A reach set kept per process (search/probe.py) is used only while the
user's unexpired reach rows are the same set: a grant, a revocation, an
expiry or a swap that keeps the count and the sum of the ids all read the
set afresh; an unchanged set costs one statement without the ids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext

from reviews.models import Review, ReviewReach
from reviews.services import access_grant, access_revoke
from reviews.tests.factories import make_review
from search import probe

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(monkeypatch):
    """Every reach set is kept (the demo's users see a handful of reviews)."""
    monkeypatch.setattr(probe, "KEPT_MIN", 1)
    probe.kept_clear()
    yield
    probe.kept_clear()


def _reach(user) -> tuple[frozenset[int], list[str]]:
    """The set a new request reads for ``user`` and the statements it ran."""
    user = type(user).objects.select_related("membership").get(pk=user.pk)  # a new request: nothing memoised
    with CaptureQueriesContext(connection) as ctx:
        ids = probe.user_reach(user).review_ids
    return ids, [q["sql"] for q in ctx.captured_queries]


def _seen(user) -> frozenset[int]:
    return frozenset(Review.objects.visible_to(user).values_list("pk", flat=True))


def _grant(review, user, admin, **kwargs):
    access_grant(review=review, codename="view_review", actor=admin, reason="Test", user=user, **kwargs)


def test_a_kept_reach_set_is_used_only_while_the_rows_are_the_same(demo, kept):
    reviewer, admin = demo["reviewer_nsa"], demo["admin"]
    first, statements = _reach(reviewer)
    assert first == _seen(reviewer) and first and len(statements) == 1 and "string_agg" in statements[0]

    again, statements = _reach(reviewer)
    assert again is first  # the kept set itself
    assert len(statements) == 1 and "string_agg" not in statements[0]  # its fingerprint only

    other = Review.objects.exclude(pk__in=first).order_by("pk").first()
    _grant(other, reviewer, admin)
    granted, statements = _reach(reviewer)
    assert granted == first | {other.pk} == _seen(reviewer)
    assert len(statements) == 2 and "string_agg" in statements[1]  # changed: read afresh

    access_revoke(review=other, actor=admin, reason="Test", user=reviewer)
    assert _reach(reviewer)[0] == first == _seen(reviewer)

    # A grant that expires: seen until its moment passes (here moved into the
    # past, as time would), then gone without any grant or revocation.
    _grant(other, reviewer, admin, expires_at=Review.objects.get(pk=other.pk).created_at + timedelta(days=3650))
    assert _reach(reviewer)[0] == first | {other.pk} == _seen(reviewer)
    ReviewReach.objects.filter(user=reviewer, review=other).update(expires_at=Now() - timedelta(hours=1))
    assert _reach(reviewer)[0] == first == _seen(reviewer)


def test_a_swap_keeping_the_count_and_the_sum_of_the_ids_is_a_new_set(demo, kept):
    reviewer, admin = demo["reviewer_nsa"], demo["admin"]
    made = [make_review(company=demo["northwind"], agencies=[demo["cisa"]]) for _ in range(4)]
    a, b, c, d = sorted(r.pk for r in made)
    assert a + d == b + c  # consecutive ids: the swap below keeps the count and the sum
    reviews = {r.pk: r for r in made}
    for pk in (a, d):
        _grant(reviews[pk], reviewer, admin)
    before, _ = _reach(reviewer)
    assert {a, d} <= before and not {b, c} & before

    for pk in (a, d):
        access_revoke(review=reviews[pk], actor=admin, reason="Test", user=reviewer)
    for pk in (b, c):
        _grant(reviews[pk], reviewer, admin)
    after, statements = _reach(reviewer)
    assert len(after) == len(before) and sum(after) == sum(before)
    assert after == (before - {a, d}) | {b, c} == _seen(reviewer)
    assert "string_agg" in statements[-1]


def test_small_sets_are_not_kept(demo, monkeypatch):
    monkeypatch.setattr(probe, "KEPT_MIN", 1_000)
    probe.kept_clear()
    reviewer = demo["reviewer_nsa"]
    for _ in range(2):
        ids, statements = _reach(reviewer)
        assert ids == _seen(reviewer) and len(statements) == 1 and "string_agg" in statements[0]
    assert not probe._kept


def test_kept_sets_stay_within_their_bound_least_recently_used_first(demo, kept, monkeypatch):
    users = [demo["reviewer_nsa"], demo["reviewer_cisa"], demo["lead_nsa"]]
    sizes = [len(_seen(u)) for u in users]
    assert sizes == [2, 2, 2]
    monkeypatch.setattr(probe, "KEPT_IDS", 4)  # two of them
    for user in users:
        _reach(user)
    assert list(probe._kept) == [users[1].pk, users[2].pk]  # the first pushed out
    _, statements = _reach(users[1])  # used again (kept: its fingerprint only), now the most recent
    assert "string_agg" not in statements[0]
    _reach(users[0])
    assert list(probe._kept) == [users[1].pk, users[0].pk]


def _fingerprints(user) -> tuple[tuple, tuple]:
    """The fingerprint a kept set is checked against (the sums the reach
    triggers keep, plus the live expiring rows') and the one read with the
    ids (summed from every unexpired reach row of ``user``)."""
    with connection.cursor() as cursor:
        cursor.execute(probe._FINGERPRINT, {"user": user.pk})
        kept = tuple(cursor.fetchone())
        cursor.execute(f"SELECT {probe._OF_ROWS} {probe._ROWS}", {"user": user.pk})
        return kept, tuple(cursor.fetchone())


def test_the_kept_fingerprint_is_the_rows_own_through_every_kind_of_change(demo):
    from django.db.models import Case, When

    from reviews.models import ReachDelta
    from reviews.services import reach_counts_compact

    reviewer, admin = demo["reviewer_nsa"], demo["admin"]
    kept, direct = _fingerprints(reviewer)
    assert kept == direct and direct[0] == len(_seen(reviewer)) > 0
    first = sorted(_seen(reviewer))
    extra = [make_review(company=demo["northwind"], agencies=[demo["cisa"]]) for _ in range(3)]
    steps = []

    for review in extra[:2]:
        _grant(review, reviewer, admin)
    steps.append(_fingerprints(reviewer))
    access_revoke(review=extra[0], actor=admin, reason="Test", user=reviewer)
    steps.append(_fingerprints(reviewer))
    later = Review.objects.get(pk=extra[2].pk).created_at + timedelta(days=3650)
    _grant(extra[2], reviewer, admin, expires_at=later)  # expiring: summed live
    steps.append(_fingerprints(reviewer))
    # One statement that keeps the number of rows without expiry but swaps
    # which they are (one gets an expiry, the expiring one loses it).
    swapped = ReviewReach.objects.filter(user=reviewer, review_id__in=[first[0], extra[2].pk]).update(
        expires_at=Case(When(review_id=first[0], then=later), default=None)
    )
    assert swapped == 2
    steps.append(_fingerprints(reviewer))
    ReviewReach.objects.filter(user=reviewer, review_id=first[0]).update(expires_at=Now() - timedelta(hours=1))  # expired
    steps.append(_fingerprints(reviewer))
    assert all(kept == direct for kept, direct in steps), steps
    # The swap kept the set (it moved a review between the kept sums and the live ones); every other step changed it.
    assert steps[3][1] == steps[2][1] and len({direct for _, direct in steps}) == len(steps) - 1

    assert reach_counts_compact() > 0
    assert ReachDelta.objects.filter(user=reviewer).count() == 1
    assert _fingerprints(reviewer) == steps[-1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_reach_delta_rebuild()")
    assert _fingerprints(reviewer) == steps[-1]
    assert _reach(reviewer)[0] == _seen(reviewer) == (set(first) - {first[0]}) | {extra[1].pk, extra[2].pk}
