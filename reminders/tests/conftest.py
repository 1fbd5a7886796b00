from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from reviews.models import Review
from reviews.tests.factories import assign, make_review

NY = ZoneInfo("America/New_York")


@pytest.fixture
def world(db):
    """A review in its window with one accepted reviewer, their lead, the
    company's liaison, a program admin, and people who must hear nothing."""
    agency, other_agency = AgencyFactory(), AgencyFactory()
    admin = make_user(role=Role.PROGRAM_ADMIN)
    review = make_review(agencies=[agency], admin=admin)
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)
    idle_reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)  # same agency, not assigned
    lead = make_user(role=Role.AGENCY_LEAD, org=agency)
    outsider_lead = make_user(role=Role.AGENCY_LEAD, org=other_agency)
    outsider_reviewer = make_user(role=Role.AGENCY_REVIEWER, org=other_agency)
    assign(review, reviewer, lead=lead)
    liaison = type(admin).objects.get(pk=review.company.liaisons_group.user_set.get().pk)
    other_review = make_review(agencies=[other_agency], admin=admin)
    assign(other_review, outsider_reviewer, lead=outsider_lead)
    # 17:00 New York, five weeks ahead: every reminder of the tests lies in the future.
    end = (timezone.now().astimezone(NY) + timedelta(days=35)).replace(hour=17, minute=0, second=0, microsecond=0)
    Review.objects.filter(pk=review.pk).update(window_start=end - timedelta(days=30), window_end=end)
    Review.objects.filter(pk=other_review.pk).update(window_start=end + timedelta(days=10), window_end=end + timedelta(days=40))
    mail.outbox.clear()  # what set-up sent (assignments, state changes) is not under test
    return dict(
        review=Review.objects.get(pk=review.pk), end=end, admin=admin, reviewer=reviewer, idle_reviewer=idle_reviewer,
        lead=lead, liaison=liaison, outsider_lead=outsider_lead, outsider_reviewer=outsider_reviewer,
    )
