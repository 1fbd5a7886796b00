"""List endpoints run a fixed number of queries, whatever the page holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from findings import services as finding_services
from findings.models import FindingCategory
from notifications.models import Notification
from reviews.services import terms_accept
from rfis import services as rfi_services
from search.services import saved_search_create

from documents.tests.factories import make_document

pytestmark = pytest.mark.django_db

LISTS = ["agencies", "companies", "models", "reviews", "documents", "versions", "rfis", "findings", "notifications", "saved-searches"]


def _grow(demo, n: int):
    """Adds objects on Atlas-2 until each list below has at least ``n`` rows for the NSA reviewer."""
    atlas, reviewer = demo["atlas"], demo["reviewer_nsa"]
    for i in range(n):
        make_document(atlas, name=f"extra-{n}-{i}.pdf")
        rfi_services.rfi_create(review_id=atlas.pk, actor=reviewer, subject=f"Q{i}", question="?")
        finding_services.finding_create(
            review_id=atlas.pk, actor=reviewer, title=f"F{i}", category=FindingCategory.objects.first(), severity="low", description="D"
        )
        Notification.objects.create(recipient=reviewer, verb="t", title=f"N{i}")
        saved_search_create(owner=reviewer, text=f"logs {n} {i}", params="", alert=False)


def _count(client, url) -> int:
    client.get(url)  # warm-up: the token's last-used stamp
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


@pytest.mark.parametrize("name", LISTS)
def test_list_queries_do_not_grow_with_rows(demo, api, name):
    terms_accept(review=demo["atlas"], user=demo["reviewer_nsa"])
    saved_search_create(owner=demo["reviewer_nsa"], text="logs", params="", alert=False)  # no list starts empty
    client = api(demo["reviewer_nsa"])
    url = f"/api/v1/{name}/"
    small, small_rows = _count(client, url)
    _grow(demo, 3)
    large, large_rows = _count(client, url)
    assert small == large, (name, small, large)
    if name not in ("agencies", "companies", "models", "reviews"):
        assert large_rows >= small_rows + 3
