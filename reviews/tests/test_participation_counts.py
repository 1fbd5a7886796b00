"""A participation's count of its agency's invited and accepted assignments
(ReviewAgency.active_assignments, kept by PostgreSQL triggers) follows every
way an assignment changes, so the lead's "assign a reviewer" list — read off
that count — shows exactly the reviews nobody of the agency covers."""

import pytest

from reviews import services
from reviews.models import Assignment, ReviewAgency

pytestmark = pytest.mark.django_db


def _counts(review) -> dict[str, int]:
    return dict(ReviewAgency.objects.filter(review=review).values_list("agency__acronym", "active_assignments"))


def test_participation_counts_follow_invitations_answers_and_removals(demo, fresh_shared_review):
    review = fresh_shared_review
    assert _counts(review) == {"NSA": 0, "CISA": 0}

    nsa = services.assignment_invite(review=review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    cisa = services.assignment_invite(review=review, reviewer=demo["reviewer_cisa"], actor=demo["lead_cisa"])
    assert _counts(review) == {"NSA": 1, "CISA": 1}

    services.assignment_accept(assignment_id=nsa.pk, actor=demo["reviewer_nsa"], has_conflict=False,
                               declaration="No conflict of interest with Northwind.")
    assert _counts(review) == {"NSA": 1, "CISA": 1}  # invited -> accepted: still covered

    services.assignment_decline(assignment_id=cisa.pk, actor=demo["reviewer_cisa"], reason="On leave this month.")
    assert _counts(review) == {"NSA": 1, "CISA": 0}

    services.assignment_remove(assignment_id=nsa.pk, actor=demo["lead_nsa"], reason="Moved to another review.")
    assert _counts(review) == {"NSA": 0, "CISA": 0}

    again = services.assignment_invite(review=review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    assert _counts(review) == {"NSA": 1, "CISA": 0}
    Assignment.objects.filter(pk=again.pk).delete()
    assert _counts(review) == {"NSA": 0, "CISA": 0}


def test_participation_created_after_its_agencys_assignment_counts_it(demo, fresh_shared_review):
    review = fresh_shared_review
    services.assignment_invite(review=review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    ReviewAgency.objects.filter(review=review, agency=demo["nsa"]).delete()
    assert _counts(review) == {"CISA": 0}

    ReviewAgency.objects.create(review=review, agency=demo["nsa"])
    assert _counts(review) == {"NSA": 1, "CISA": 0}


def test_assignment_moved_to_another_agency_moves_its_count(demo, fresh_shared_review):
    review = fresh_shared_review
    nsa = services.assignment_invite(review=review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    Assignment.objects.filter(pk=nsa.pk).update(agency=demo["cisa"])
    assert _counts(review) == {"NSA": 0, "CISA": 1}


def test_recount_gives_what_the_triggers_keep(demo, fresh_shared_review):
    """bench/seed.py loads assignments with the trigger off and recounts in one
    statement (reviews_participation_recount): the same numbers as the triggers."""
    from django.db import connection

    services.assignment_invite(review=fresh_shared_review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    kept = dict(ReviewAgency.objects.values_list("pk", "active_assignments"))
    assert any(kept.values()) and not all(kept.values())
    ReviewAgency.objects.update(active_assignments=7)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_participation_recount()")
    assert dict(ReviewAgency.objects.values_list("pk", "active_assignments")) == kept
