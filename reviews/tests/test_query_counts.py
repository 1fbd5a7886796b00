"""List pages and dashboards run a fixed number of queries, whatever the size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from companies.tests.factories import CompanyFactory

from .factories import assign, make_review

pytestmark = pytest.mark.django_db


def _world(n: int):
    agency = AgencyFactory()
    company = CompanyFactory()
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)
    lead = make_user(role=Role.AGENCY_LEAD, org=agency)
    admin = make_user(role=Role.PROGRAM_ADMIN)
    for i in range(n):
        review = make_review(company=company, agencies=[agency], admin=admin)
        assign(review, reviewer, accept=i % 2 == 0, lead=lead)
    liaison = make_user(role=Role.COMPANY_LIAISON, org=company)
    return {"reviewer": reviewer, "lead": lead, "admin": admin, "liaison": liaison}


def _count(client, url) -> int:
    client.get(url)  # warm the session (MFA check is remembered after the first request)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


PAGES = [
    ("reviewer", "review_list"),
    ("lead", "review_list"),
    ("liaison", "review_list"),
    ("admin", "review_list"),
    ("reviewer", "dashboard"),
    ("lead", "dashboard"),
    ("liaison", "dashboard"),
    ("admin", "dashboard"),
]
# Pinned: session, user+membership, notification count, visible ids, page, agencies
# (the count comes from the ids; + coverage for leads, + models for liaisons;
# admins need no ids but a COUNT; a reviewer's dashboard counts assignments).
EXPECTED = {
    ("reviewer", "review_list"): 6,
    ("lead", "review_list"): 6,
    ("liaison", "review_list"): 6,
    ("admin", "review_list"): 6,
    ("reviewer", "dashboard"): 5,
    ("lead", "dashboard"): 7,
    ("liaison", "dashboard"): 7,
    ("admin", "dashboard"): 6,
}


@pytest.mark.parametrize(("role", "name"), PAGES)
def test_list_query_count_does_not_grow_with_reviews(login, role, name):
    counts = {}
    for size in (5, 50):
        world = _world(size)
        from django.test import Client

        client = Client()
        user = world[role]
        from conftest import give_totp

        give_totp(user)
        client.force_login(user, backend="accounts.backends.PortalAuthenticationBackend")
        counts[size] = _count(client, reverse(name))
    assert counts[5] == counts[50] == EXPECTED[(role, name)], counts


@pytest.mark.parametrize("size", [1, 3])
def test_review_list_query_count_at_one_and_three(login, size, django_assert_num_queries):
    world = _world(size)
    client = login(world["reviewer"])
    client.get(reverse("review_list"))
    with django_assert_num_queries(EXPECTED[("reviewer", "review_list")]):
        response = client.get(reverse("review_list"))
    assert response.context["page"].paginator.count == (size + 1) // 2
