"""The reach rows follow the grants in the same transaction, whatever path
changed: direct grants, group grants, group membership, expiry, the deadline.
Each test compares the reach rows with the grants they derive from."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from reviews.models import Assignment, Review, ReviewAgency, ReviewReach, TermsAcceptance
from reviews.querysets import in_visible_reviews, review_ids_granted, terms_gate
from reviews.services import access_grant, access_revoke, terms_accept

pytestmark = pytest.mark.django_db


def _reach(user) -> dict:
    return {r.review_id: r.expires_at for r in ReviewReach.objects.filter(user=user)}


def _visible(user) -> set:
    user = type(user).objects.select_related("membership").get(pk=user.pk)
    return set(Review.objects.visible_to(user).values_list("pk", flat=True))


def _granted(user) -> set:
    """What the grant tables say, read directly (the reach rows' source)."""
    return set(review_ids_granted(user, "view_review", among=list(Review.objects.values_list("pk", flat=True))))


@pytest.fixture
def world(agency_world):
    return agency_world(3)


def test_direct_grant_and_revoke_add_and_remove_the_row(world):
    reviewer, review, admin = world["reviewer"], world["reviews"][0], world["admin"]
    assert _reach(reviewer) == {}
    access_grant(review=review, codename="view_review", actor=admin, reason="t", user=reviewer)
    assert _reach(reviewer) == {review.pk: None}
    assert _visible(reviewer) == {review.pk} == _granted(reviewer)
    access_revoke(review=review, actor=admin, reason="t", user=reviewer)
    assert _reach(reviewer) == {}
    assert _visible(reviewer) == set() == _granted(reviewer)


def test_group_grant_reaches_members_and_membership_changes_follow(world):
    reviewer, admin = world["reviewer"], world["admin"]
    other = make_user(role=Role.AGENCY_REVIEWER, org=world["agency"])
    team = Group.objects.create(name="team")
    team.user_set.add(reviewer)
    r1, r2 = world["reviews"][:2]
    access_grant(review=r1, codename="view_review", actor=admin, reason="t", group=team)
    access_grant(review=r2, codename="view_review", actor=admin, reason="t", group=team)
    assert set(_reach(reviewer)) == {r1.pk, r2.pk} == _granted(reviewer)
    assert _reach(other) == {}
    team.user_set.add(other)  # joins: sees the group's reviews at once
    assert set(_reach(other)) == {r1.pk, r2.pk} == _visible(other)
    team.user_set.remove(reviewer)  # leaves: sees nothing the group gave
    assert _reach(reviewer) == {} and _visible(reviewer) == set()
    access_revoke(review=r1, actor=admin, reason="t", group=team)
    assert set(_reach(other)) == {r2.pk} == _granted(other)


def test_two_paths_one_row_and_revoking_one_path_keeps_the_other(world):
    reviewer, admin, review = world["reviewer"], world["admin"], world["reviews"][0]
    team = Group.objects.create(name="team")
    team.user_set.add(reviewer)
    later = timezone.now() + timedelta(days=5)
    access_grant(review=review, codename="view_review", actor=admin, reason="t", group=team, expires_at=later)
    access_grant(review=review, codename="view_review", actor=admin, reason="t", user=reviewer)
    # The unexpiring direct grant wins over the group's expiry.
    assert _reach(reviewer) == {review.pk: None}
    access_revoke(review=review, actor=admin, reason="t", user=reviewer)
    assert _reach(reviewer) == {review.pk: later}
    assert _visible(reviewer) == {review.pk}


def test_expired_grant_is_invisible_without_any_write(world):
    reviewer, admin, review = world["reviewer"], world["admin"], world["reviews"][0]
    soon = timezone.now() + timedelta(hours=1)
    access_grant(review=review, codename="view_review", actor=admin, reason="t", user=reviewer, expires_at=soon)
    assert _visible(reviewer) == {review.pk}
    import time_machine

    with time_machine.travel(soon + timedelta(seconds=1)):
        assert _visible(reviewer) == set()
        assert _reach(reviewer) == {review.pk: soon}  # still stored; filtered on read


def test_other_permissions_do_not_reach(world):
    reviewer, admin, review = world["reviewer"], world["admin"], world["reviews"][0]
    access_grant(review=review, codename="assign_reviewer", actor=admin, reason="t", user=reviewer)
    assert _reach(reviewer) == {}


def test_deadline_change_moves_the_row_in_the_deadline_order(world):
    reviewer, admin = world["reviewer"], world["admin"]
    for review in world["reviews"]:
        access_grant(review=review, codename="view_review", actor=admin, reason="t", user=reviewer)
    first = world["reviews"][0]
    new_end = timezone.now() + timedelta(days=400)
    Review.objects.filter(pk=first.pk).update(window_end=new_end)
    assert ReviewReach.objects.get(user=reviewer, review=first).window_end == new_end
    from reviews.selectors import review_list

    user = type(reviewer).objects.select_related("membership").get(pk=reviewer.pk)
    qs = review_list(user=user)
    assert list(qs.page_ids) == [r.pk for r in qs] and list(qs.page_ids)[-1] == first.pk


def test_rebuild_matches_the_triggers(world):
    """The set-based rebuild (migration, bench seed) and the row triggers agree."""
    reviewer, admin = world["reviewer"], world["admin"]
    team = Group.objects.create(name="team")
    team.user_set.add(reviewer)
    access_grant(review=world["reviews"][0], codename="view_review", actor=admin, reason="t", group=team)
    access_grant(
        review=world["reviews"][1], codename="view_review", actor=admin, reason="t", user=reviewer,
        expires_at=timezone.now() + timedelta(days=2),
    )
    before = set(ReviewReach.objects.values_list("user_id", "review_id", "expires_at", "window_end"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_reach_rebuild()")
    after = set(ReviewReach.objects.values_list("user_id", "review_id", "expires_at", "window_end"))
    assert before == after and before


def test_assignments_carry_their_reviews_deadline_and_dashboard_orders_by_it(world):
    """The copy is taken on every write of the assignment and follows the
    review's deadline; the reviewer's dashboard lists invitations first, then
    by deadline, from it."""
    from reviews.selectors import reviewer_dashboard

    from .factories import assign

    reviewer = world["reviewer"]
    r1, r2, r3 = world["reviews"]
    base = timezone.now() + timedelta(days=10)
    for i, review in enumerate((r1, r2, r3)):
        Review.objects.filter(pk=review.pk).update(window_end=base + timedelta(days=i))
    a1 = assign(r1, reviewer)
    a2 = assign(r2, reviewer)
    a3 = assign(r3, reviewer, accept=False)  # still an invitation
    a1.refresh_from_db()
    assert a1.review_window_end == base
    Review.objects.filter(pk=r1.pk).update(window_end=base + timedelta(days=30))
    a1.refresh_from_db()
    assert a1.review_window_end == base + timedelta(days=30)
    # A save from a stale instance cannot put an old deadline back.
    stale = type(a2).objects.get(pk=a2.pk)
    Review.objects.filter(pk=r2.pk).update(window_end=base + timedelta(days=40))
    stale.save()
    stale.refresh_from_db()
    assert stale.review_window_end == base + timedelta(days=40)
    user = type(reviewer).objects.select_related("membership").get(pk=reviewer.pk)
    assert [a.pk for a in reviewer_dashboard(user=user)] == [a3.pk, a1.pk, a2.pk]


def test_assignments_carry_their_reviews_status_through_every_change(world):
    """The status copy (reviews/0022) is taken on every write of the
    assignment and follows each change of the review's status, including a
    stale save that would otherwise put an old status back."""
    from .factories import assign

    reviewer, (r1, r2, _) = world["reviewer"], world["reviews"]
    a1, a2 = assign(r1, reviewer), assign(r2, reviewer)
    statuses = lambda: dict(Assignment.objects.filter(pk__in=[a1.pk, a2.pk]).values_list("pk", "review_status"))  # noqa: E731
    assert statuses() == {a1.pk: r1.status, a2.pk: r2.status}
    Review.objects.filter(pk=r1.pk).update(status="closed")
    assert statuses() == {a1.pk: "closed", a2.pk: r2.status}
    stale = Assignment.objects.get(pk=a2.pk)
    Review.objects.filter(pk=r2.pk).update(status="withdrawn")
    stale.save()
    assert statuses() == {a1.pk: "closed", a2.pk: "withdrawn"}


def test_unique_reach_index_carries_the_expiry_and_terms_and_still_arbitrates_upserts(world):
    """The reach's unique (user, review) index holds expires_at too (reviews/0028),
    so a join on (user, review) can check a grant's expiry without the table
    (the reviewer dashboard's count: a merge join of two index-only scans at
    bench scale, where it hashed 20,000 reach rows), and the terms gate's
    copy (reviews/0029: a material read's semi-join). It still backs the
    constraint, and the reach functions' ON CONFLICT (user_id, review_id)
    still finds it: a second grant path leaves one row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisunique, c.contype, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class x ON x.oid = i.indexrelid LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
            "WHERE x.relname = 'review_reach_unique'"
        )
        unique, constraint, definition = cursor.fetchone()
    assert (unique, constraint) == (True, "u")
    assert definition.endswith("(user_id, review_id) INCLUDE (expires_at, terms_accepted)"), definition
    reviewer, admin, review = world["reviewer"], world["admin"], world["reviews"][0]
    team = Group.objects.create(name="second path")
    team.user_set.add(reviewer)
    access_grant(review=review, codename="view_review", actor=admin, reason="t", user=reviewer)
    access_grant(review=review, codename="view_review", actor=admin, reason="t", group=team)  # an upsert on the index
    assert _reach(reviewer) == {review.pk: None} and _visible(reviewer) == {review.pk}


def _terms(user) -> dict:
    return dict(ReviewReach.objects.filter(user=user).values_list("review_id", "terms_accepted"))


def _material(user, reviews) -> set:
    """The reviews whose material ``user`` reads (a participation row stands for
    each review's material), through the reach rows' copy of the terms gate —
    for all their reviews and among some — and as the acceptances say
    (``terms_gate`` over the grants): all three must agree."""
    user = type(user).objects.select_related("membership").get(pk=user.pk)
    rows = ReviewAgency.objects.all()
    reach = set(in_visible_reviews(rows, user, material=True).values_list("review_id", flat=True))
    among = set(in_visible_reviews(rows, user, among=[r.pk for r in reviews], material=True).values_list("review_id", flat=True))
    asked = set(terms_gate(rows.filter(review_id__any_of=review_ids_granted(user, "view_review")), user).values_list("review_id", flat=True))
    assert reach == among == asked, (reach, among, asked)
    return reach


def test_reach_rows_carry_the_terms_gate_through_every_change(world):
    """ReviewReach.terms_accepted (reviews/0029) follows the acceptances and the
    terms versions in the same transaction: an acceptance sets it, new terms
    clear it, a deleted acceptance clears it, a row written later (a grant
    revoked and given again) takes it, and the rebuild agrees. Material reads
    through it see exactly what the acceptances say."""
    reviewer, admin, (first, second) = world["reviewer"], world["admin"], world["reviews"][:2]
    for review in (first, second):
        access_grant(review=review, codename="view_review", actor=admin, reason="t", user=reviewer)
    assert _terms(reviewer) == {first.pk: False, second.pk: False}
    assert _material(reviewer, [first, second]) == set()

    terms_accept(review=first, user=reviewer)
    assert _terms(reviewer) == {first.pk: True, second.pk: False}
    assert _material(reviewer, [first, second]) == {first.pk}

    Review.objects.filter(pk=first.pk).update(access_terms_version=F("access_terms_version") + 1)  # new terms
    assert _terms(reviewer) == {first.pk: False, second.pk: False}
    assert _material(reviewer, [first, second]) == set()

    terms_accept(review=first, user=reviewer)  # the new version
    terms_accept(review=second, user=reviewer)
    assert _terms(reviewer) == {first.pk: True, second.pk: True}
    assert _material(reviewer, [first, second]) == {first.pk, second.pk}

    TermsAcceptance.objects.filter(user=reviewer, review=second).delete()
    assert _terms(reviewer) == {first.pk: True, second.pk: False}
    assert _material(reviewer, [first, second]) == {first.pk}

    # A row written after the acceptance takes it from the acceptances.
    access_revoke(review=first, actor=admin, reason="t", user=reviewer)
    assert _terms(reviewer) == {second.pk: False}
    access_grant(review=first, codename="view_review", actor=admin, reason="t", user=reviewer)
    assert _terms(reviewer) == {first.pk: True, second.pk: False}
    assert _material(reviewer, [first, second]) == {first.pk}

    # Another user's acceptance, or another review's terms, change nothing of this user's.
    other = make_user(role=Role.AGENCY_REVIEWER, org=world["agency"])
    access_grant(review=second, codename="view_review", actor=admin, reason="t", user=other)
    terms_accept(review=second, user=other)
    assert _terms(other) == {second.pk: True}
    assert _terms(reviewer) == {first.pk: True, second.pk: False}

    before = set(ReviewReach.objects.values_list("user_id", "review_id", "terms_accepted"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_reach_rebuild()")
    assert set(ReviewReach.objects.values_list("user_id", "review_id", "terms_accepted")) == before


@pytest.mark.django_db(transaction=True)
def test_acceptance_waits_for_new_terms_being_written_and_records_them():
    """An acceptance made while the company is writing new terms waits for them
    (``terms_accept`` locks the review as ``terms_update`` does) and records the
    new version: the reach row's copy of the gate then agrees with the
    acceptances. Without the lock it recorded the old version and the reach
    row said "accepted" for terms the reviewer never saw."""
    import threading
    import time

    from agencies.tests.factories import AgencyFactory

    from .factories import make_review

    agency = AgencyFactory()
    admin = make_user(role=Role.PROGRAM_ADMIN)
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)
    review = make_review(agencies=[agency], admin=admin)
    access_grant(review=review, codename="view_review", actor=admin, reason="t", user=reviewer)
    version = Review.objects.get(pk=review.pk).access_terms_version
    locked, failures = threading.Event(), []

    def new_terms():
        try:
            with transaction.atomic():
                Review.objects.select_for_update().get(pk=review.pk)
                Review.objects.filter(pk=review.pk).update(access_terms_version=F("access_terms_version") + 1)
                locked.set()
                time.sleep(0.5)  # the acceptance starts meanwhile and must wait for this commit
        except Exception as exc:  # noqa: BLE001 — reported below
            failures.append(exc)
        finally:
            connection.close()

    def accept():
        try:
            locked.wait(10)
            terms_accept(review=review, user=reviewer)
        except Exception as exc:  # noqa: BLE001
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=new_terms), threading.Thread(target=accept)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert list(TermsAcceptance.objects.filter(user=reviewer, review=review).values_list("version", flat=True)) == [version + 1]
    assert _terms(reviewer) == {review.pk: True}
    assert _material(reviewer, [review]) == {review.pk}


def test_planner_knows_how_many_of_a_users_reach_rows_are_past_the_terms_gate(world):
    """A material read asks the reach for one user's rows with ``terms_accepted``.
    One reviewer has accepted the terms of all 40 of their reviews, forty others
    none of theirs: 2.4 % of all rows are accepted. Multiplying the two
    clauses' selectivities, PostgreSQL expected one of the reviewer's rows
    (and walked the reach first in the search's confirmations); the
    statistics over the pair (reviews/0030) give the reviewer's own figure."""
    from accounts.models import User

    review = world["reviews"][0]
    reviews = Review.objects.bulk_create(
        [Review(model=review.model, company=review.company, created_by=review.created_by, summary=f"Bulk {n}") for n in range(40)]
    )
    users = User.objects.bulk_create([User(email=f"reach-stats-{n}@example.test") for n in range(41)])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reviews_reviewreach (user_id, review_id, status, created_at, model_name, company_name) "
            "SELECT u, r, '', now(), '', '' FROM unnest(%s::bigint[]) AS u, unnest(%s::bigint[]) AS r",
            [[u.pk for u in users], [r.pk for r in reviews]],
        )
        reviewer = users[0]
        ReviewReach.objects.filter(user=reviewer).update(terms_accepted=True)
        cursor.execute("ANALYZE reviews_reviewreach")
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT review_id FROM reviews_reviewreach WHERE user_id = %s AND terms_accepted", [reviewer.pk]
        )
        estimate = cursor.fetchone()[0][0]["Plan"]["Plan Rows"]
    assert ReviewReach.objects.filter(user=reviewer, terms_accepted=True).count() == 40
    assert ReviewReach.objects.filter(terms_accepted=True).count() / ReviewReach.objects.count() < 0.05
    assert 30 <= estimate <= 50  # without the statistics: 1
