from __future__ import annotations

import pytest

from accounts.models import Role
from api.tests.conftest import api, token_for  # noqa: F401  (API clients with a personal token)
from accounts.tests.factories import make_user
from modelaccess import services
from reviews.tests.factories import assign, make_review


@pytest.fixture
def world(demo):
    """A Northwind review in review with NSA: reviewer.nsa ("NSA reviewer 1") and a
    second NSA reviewer ("NSA reviewer 2") accepted, a third only invited, and one
    API endpoint described by the liaison."""
    liaison = demo["liaison_northwind"]
    review = make_review(company=demo["northwind"], agencies=[demo["nsa"]], status="in_review", liaison=liaison)
    lead = demo["lead_nsa"]
    first = demo["reviewer_nsa"]
    second = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"], full_name="Sam Second")
    invited = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"], full_name="Ivy Invited")
    assign(review, first, lead=lead)
    assign(review, second, lead=lead)
    assign(review, invited, lead=lead, accept=False)
    endpoint = services.endpoint_create(
        review_id=review.pk, actor=liaison, name="Atlas eval API", kind="api", url="https://api.northwind.example/v1",
        instructions="Bearer token in the Authorization header.", rate_limits="60/min",
    )
    return {**demo, "review": review, "first": first, "second": second, "invited": invited, "endpoint": endpoint}


SECRET = "sk-live-5f0c1e2d3c4b5a69788796a5b4c3d2e1"


@pytest.fixture
def issued(world):
    """reviewer.nsa's API key on the world's endpoint."""
    return services.credential_issue(
        review_id=world["review"].pk, actor=world["liaison_northwind"], endpoint_id=world["endpoint"].pk,
        pseudonym="NSA reviewer 1", kind="api_key", secret=SECRET,
    )
