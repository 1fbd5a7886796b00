import pytest

from accounts.models import Role
from accounts.tests.factories import make_user


@pytest.fixture
def reviewer_of(db):
    """``reviewer_of(agency)`` → a fresh reviewer of that agency."""
    return lambda agency: make_user(role=Role.AGENCY_REVIEWER, org=agency)


@pytest.fixture
def admin_user(db):
    return make_user(role=Role.PROGRAM_ADMIN)


@pytest.fixture
def closed_with_grace(reviewer_of, admin_user, settings):
    """A reviewer accepted on two reviews of one agency; the first closed now,
    its grants ending 30 days later (``PORTAL_ACCESS_DAYS_AFTER_CLOSE``): a
    grant that expires between two pages. → (reviewer, closed, open, closed_at)."""
    import time_machine
    from django.utils import timezone

    from agencies.tests.factories import AgencyFactory

    from .factories import assign, close_review, make_review

    settings.PORTAL_ACCESS_DAYS_AFTER_CLOSE = 30
    agency = AgencyFactory()
    review, other = make_review(agencies=[agency]), make_review(agencies=[agency])
    reviewer = reviewer_of(agency)
    assign(review, reviewer)
    assign(other, reviewer)
    closed_at = timezone.now()
    with time_machine.travel(closed_at, tick=False):
        close_review(review, admin_user)
    return reviewer, review, other, closed_at


@pytest.fixture
def agency_world(db):
    """``agency_world(n)`` → an agency, a program admin, one of the agency's
    reviewers (granted nothing yet) and ``n`` reviews the agency takes part in."""
    from agencies.tests.factories import AgencyFactory

    from .factories import make_review

    def build(n: int) -> dict:
        agency = AgencyFactory()
        admin = make_user(role=Role.PROGRAM_ADMIN)
        reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)
        reviews = [make_review(agencies=[agency], admin=admin) for _ in range(n)]
        return {"agency": agency, "admin": admin, "reviewer": reviewer, "reviews": reviews}

    return build
