"""Expired or removed means gone everywhere (issue 14, item 8): a reviewer
whose grant ran out, or who was taken off a review, no longer sees the
assignment's page (404) or its row on their dashboard. An invitation they have
not answered yet stays visible: it is how they learn of the review."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from reviews import services
from reviews.models import Assignment, AssignmentStatus

from .factories import assign, close_review, make_review

pytestmark = pytest.mark.django_db


def _dashboard_rows(client):
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    return [a.pk for a in page.context["page"].object_list]


def _page_status(client, assignment):
    return client.get(reverse("assignment_detail", kwargs={"pk": assignment.pk})).status_code


def test_removed_reviewer_loses_assignment_page_and_dashboard_row(demo, login):
    reviewer = demo["reviewer_nsa"]
    assignment = Assignment.objects.get(review=demo["atlas"], reviewer=reviewer)
    # The demo gives them other work too (the shared review); it must stay put.
    others = set(Assignment.objects.visible_to(reviewer).exclude(pk=assignment.pk).values_list("pk", flat=True))
    invitation = assign(make_review(agencies=[demo["nsa"]]), reviewer, accept=False)
    client = login(reviewer)
    assert _page_status(client, assignment) == 200
    assert set(_dashboard_rows(client)) == others | {assignment.pk, invitation.pk}

    services.assignment_remove(assignment_id=assignment.pk, actor=demo["lead_nsa"], reason="Reassigned")

    assert _page_status(client, assignment) == 404
    assert set(_dashboard_rows(client)) == others | {invitation.pk}
    assert _page_status(client, invitation) == 200  # the unanswered invitation is still theirs
    assert set(Assignment.objects.visible_to(reviewer).values_list("pk", flat=True)) == others | {invitation.pk}
    # Their lead still sees the record of the removal.
    assert assignment in Assignment.objects.visible_to(demo["lead_nsa"])


def test_expired_grant_hides_assignment_page_and_dashboard_row(settings, login):
    settings.PORTAL_ACCESS_DAYS_AFTER_CLOSE = 30
    admin = make_user(role=Role.PROGRAM_ADMIN)
    review = make_review(admin=admin)
    agency = review.agencies.get()
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)
    assignment = assign(review, reviewer)
    closed_at = timezone.now()
    with time_machine.travel(closed_at, tick=False):
        close_review(review, admin)
    with time_machine.travel(closed_at + timedelta(days=29), tick=False):
        client = login(reviewer)
        assert _page_status(client, assignment) == 200
        assert _dashboard_rows(client) == [assignment.pk]
    with time_machine.travel(closed_at + timedelta(days=30, seconds=1), tick=False):
        # The grant row is still there (the hourly clean-up has not run) but no longer honoured.
        client = login(reviewer)
        assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ACCEPTED
        assert _page_status(client, assignment) == 404
        assert _dashboard_rows(client) == []
        assert not Assignment.objects.visible_to(reviewer).exists()


def test_declined_assignment_is_gone_for_the_reviewer(demo, login):
    reviewer = demo["reviewer_nsa"]
    invitation = assign(make_review(agencies=[demo["nsa"]]), reviewer, accept=False)
    services.assignment_decline(assignment_id=invitation.pk, actor=reviewer, reason="Conflict of interest")
    client = login(reviewer)
    assert _page_status(client, invitation) == 404
    assert invitation.pk not in _dashboard_rows(client)
