"""portal.db.prepared_statements: the review page's statement is planned once
per connection and reused, the connection goes back to client-side binding
after the block, and the page still reads exactly the review and standing."""

import pytest
from django.db import connection

from portal.db import prepared_statements
from reviews.selectors import review_page_get

pytestmark = pytest.mark.django_db


def _prepared() -> list[tuple[str, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans, generic_plans FROM pg_prepared_statements")
        return cursor.fetchall()


def test_review_page_statement_is_prepared_once_and_reused(demo):
    """Counted as differences: the connection (and its prepared statements)
    outlives a test, so an earlier test may have prepared the same text."""
    reviewer, atlas, mini = demo["reviewer_nsa"], demo["atlas"], demo["atlas_mini"]
    review_page_get(user=reviewer, pk=atlas.pk)
    before = {text: (runs, generic) for text, runs, generic in _prepared()}
    for _ in range(3):
        for review in (atlas, mini):
            page = review_page_get(user=reviewer, pk=review.pk)
            assert page.review.pk == review.pk and page.standing.review_id == review.pk and page.standing.may_view
    grown = {text: (runs - before.get(text, (0, 0))[0], generic) for text, runs, generic in _prepared()
             if runs != before.get(text, (0, 0))[0]}
    assert len(grown) == 1  # one text for every review the reviewer opens
    ((text, (runs, generic)),) = grown.items()
    assert '"reviews_review"."id" = $' in text
    assert runs == 6  # each call ran the prepared statement
    assert generic >= 1  # planned generically once five custom plans were made


def test_prepared_statement_is_logged_with_its_values(demo):
    """The query log (N+1 checks, DEBUG) shows the statement with its values, as for any other."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        review_page_get(user=demo["reviewer_nsa"], pk=demo["atlas"].pk)
    (query,) = ctx.captured_queries
    assert f'"reviews_review"."id" = {demo["atlas"].pk}' in query["sql"]


def test_connection_binds_client_side_again_after_the_block(demo):
    connection.ensure_connection()
    raw = connection.connection
    before = (raw.cursor_factory, raw.prepare_threshold)
    with prepared_statements():
        assert raw.prepare_threshold == 0 and connection.features.uses_server_side_binding
    assert (raw.cursor_factory, raw.prepare_threshold) == before
    assert not connection.features.uses_server_side_binding
    with pytest.raises(ZeroDivisionError), prepared_statements():
        1 / 0
    assert (raw.cursor_factory, raw.prepare_threshold) == before


def test_review_page_out_of_scope_is_still_a_404_when_prepared(demo):
    from django.http import Http404

    atlas = demo["atlas"]  # NSA's alone
    for _ in range(7):  # past the switch to a generic plan
        review_page_get(user=demo["reviewer_nsa"], pk=atlas.pk)
        with pytest.raises(Http404):
            review_page_get(user=demo["reviewer_cisa"], pk=atlas.pk)


def test_prepared_statements_can_be_switched_off(demo, settings):
    settings.PORTAL_PREPARED_STATEMENTS = False
    connection.ensure_connection()
    raw = connection.connection
    before = (raw.cursor_factory, raw.prepare_threshold)
    with prepared_statements():
        assert (raw.cursor_factory, raw.prepare_threshold) == before
    assert review_page_get(user=demo["reviewer_nsa"], pk=demo["atlas"].pk).review.pk == demo["atlas"].pk
