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

