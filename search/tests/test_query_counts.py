"""The search page runs a fixed number of queries, whatever it finds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .conftest import text_set

pytestmark = pytest.mark.django_db


def _queries(client, headers=None, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("search"), params, headers=headers or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["admin", "reviewer_nsa", "liaison_northwind"])
def test_search_page_query_count_does_not_grow_with_results(demo, login, role):
    from documents.models import Document

    from documents.models import DocumentText

    client = login(demo[role])
    versions = [v for d in Document.objects.filter(review=demo["atlas"], purpose="review") for v in d.versions.all()]
    assert len(versions) >= 3
    DocumentText.objects.filter(pk__in=[v.pk for v in versions]).delete()
    text_set(versions[0], "A quasar in the text.")
    _queries(client)  # the filters' choices, cached from here on (test_choices.py)
    few = _queries(client, q="quasar")
    partial = _queries(client, {"HX-Request": "true", "HX-Target": "search-results"}, q="quasar")
    for version in versions[1:]:
        text_set(version, "A quasar in the text, and another quasar.")
    assert _queries(client, q="quasar") == few
    # The results part alone (htmx, as the user types) skips the filters' choices.
    assert partial < few
