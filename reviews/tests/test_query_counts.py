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


@pytest.fixture(scope="module")
def worlds(module_rollback):
    """A 5-review and a 50-review world, built once for the module (rolled back after it)."""
    return {5: _world(5), 50: _world(50)}


def _client_for(user):
    from django.test import Client

    from conftest import force_login_mfa

    client = Client()
    force_login_mfa(client, user)
    return client


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
# Pinned: session, user+membership, notification count (with the bell's
# newest), the count (reach rows; admins: reviews), the page's ids, its rows
# with their agencies' acronyms; + coverage for leads (their assignments, then
# the people once each: two), + models for liaisons;
# a reviewer's dashboard counts and pages assignments instead. Dashboards
# open with "Needs your action" (dashboard/inbox/): one statement per
# section and for stopped clocks while it holds at most 10 rows (reviewer +6,
# lead +6, liaison +5, program office +5). A section past 10 rows costs one
# more at its first visit (its first 10 rows by the ids of a subquery, with
# its count: sorting the ids alone, not every row with its joins; or, read
# in order off its own index, its count) and none more from the next visit
# on, the one counted here (one statement while the section stays full:
# dashboard.inbox._overflowed) — so the 50-review world costs what the
# 5-review world costs; and
# the program office's charts (+2, the burn-down's rows with their count and their clock stops: dashboard/charts.py; its states,
# turnaround and findings figures were counted at the warming visit and kept).
EXPECTED = {
    ("reviewer", "review_list"): 6,
    ("lead", "review_list"): 6,
    ("liaison", "review_list"): 6,
    ("admin", "review_list"): 6,
    ("reviewer", "dashboard"): 12,
    ("lead", "dashboard"): 14,
    ("liaison", "dashboard"): 12,
    ("admin", "dashboard"): 13,
}
@pytest.mark.parametrize(("role", "name"), PAGES)
def test_page_query_count_is_pinned_whatever_the_number_of_reviews(db, worlds, role, name):
    counts = {size: _count(_client_for(world[role]), reverse(name)) for size, world in worlds.items()}
    assert counts == {5: EXPECTED[(role, name)], 50: EXPECTED[(role, name)]}, counts


@pytest.mark.parametrize("size", [1, 3])
def test_review_list_query_count_at_one_and_three(login, size, django_assert_num_queries):
    world = _world(size)
    client = login(world["reviewer"])
    client.get(reverse("review_list"))
    with django_assert_num_queries(EXPECTED[("reviewer", "review_list")]):
        response = client.get(reverse("review_list"))
    assert response.context["page"].paginator.count == (size + 1) // 2


@pytest.mark.parametrize("role", ["reviewer", "lead", "liaison", "admin"])
def test_review_list_query_count_same_at_any_page_size_and_depth(db, worlds, role):
    """10 or 100 rows, the first page or the last: the same statements."""
    client = _client_for(worlds[50][role])
    url = reverse("review_list")
    counts = {q: _count(client, f"{url}{q}") for q in ("", "?per_page=10", "?per_page=100", "?per_page=10&page=2", "?per_page=10&page=99")}
    assert set(counts.values()) == {EXPECTED[(role, "review_list")]}, counts


REVIEW_PAGES = ["review_detail", "review_documents", "review_rfis", "review_findings", "review_checklist"]


@pytest.mark.parametrize("role", ["reviewer", "lead", "liaison", "admin"])
def test_review_page_query_count_does_not_grow_with_visible_reviews(db, worlds, role):
    """A review's pages cost the same for someone who sees 5 reviews and
    someone who sees 50 (the grants are asked about that one review), and stay
    within issue 9's budget of 12 statements."""
    from reviews.models import Review
    from reviews.services import terms_accept

    counts = {}
    for size, world in worlds.items():
        user = world[role]
        client = _client_for(user)

        review = Review.objects.visible_to(type(user).objects.select_related("membership").get(pk=user.pk)).order_by("pk").first()
        if role in ("reviewer", "lead"):
            terms_accept(review=review, user=user)
        counts[size] = {name: _count(client, reverse(name, args=[review.pk])) for name in REVIEW_PAGES}
    assert counts[5] == counts[50], counts
    assert max(counts[50].values()) <= 12, counts
