"""portal.db.prepared_statements: the review page's statement is planned once
per connection and reused, the connection goes back to client-side binding
after the block, and the page still reads exactly the review and standing;
portal.db.prepared_page: every statement of a page about one review runs
prepared, a list's none."""

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


def _runs() -> dict[str, int]:
    return {text: runs for text, runs, _ in _prepared()}


def test_pages_about_one_review_run_every_statement_prepared_and_lists_none(demo, login):
    """``portal.db.prepared_page``: each statement of a review's page (its
    rows, the reader's grant, the bell) runs prepared, on every later visit
    by anyone; the review list's statements, whose plans depend on who asks,
    are never prepared; a POST to the same page prepares only the review's
    own statement, as ``review_page_get`` always did."""
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    atlas = demo["atlas"]
    pages = [reverse(name, kwargs={"pk": atlas.pk}) for name in
             ("review_detail", "review_documents", "review_rfis", "review_findings", "review_checklist")]
    client = login(demo["reviewer_nsa"])
    for url in pages:
        assert client.get(url).status_code == 200  # prepares what is new
    for url in pages:
        before = _runs()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        grown = {text: runs - before.get(text, 0) for text, runs in _runs().items() if runs != before.get(text, 0)}
        # Every statement the view ran was a prepared one run again: all but
        # the session and user lookups made before the view.
        outside = [q for q in ctx.captured_queries if q["sql"].startswith(('SELECT "django_session".', 'SELECT "accounts_user".'))]
        assert sum(grown.values()) == len(ctx.captured_queries) - len(outside) >= 4, url
        assert all(runs >= 1 for runs in grown.values())

    before = _runs()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("review_list")).status_code == 200
    grown = [text for text, runs in _runs().items() if runs != before.get(text, 0)]
    # Only the page's rows read by their ids (a kept statement, portal.statements)
    # ran prepared: the count and the page's ids, whose plans depend on how
    # many reviews the reader sees, were planned for this reader.
    assert len(grown) == 1 and "= ANY(string_to_array($1, ',')" in grown[0], grown
    assert len(ctx.captured_queries) > 3
    before = _runs()
    # A POST runs only the review's own statement prepared (review_page_get's block), as before.
    assert client.post(reverse("review_rfis", kwargs={"pk": atlas.pk}), {}).status_code in (200, 302)
    grown = [text for text, runs in _runs().items() if runs != before.get(text, 0)]
    assert len(grown) == 1 and grown[0].startswith('SELECT "reviews_review"."id"')


def test_inbox_runs_prepared_for_every_role(demo):
    """Every role's inbox sections are kept prepared on the connection
    (``dashboard.inbox.inbox_for``), each a statement of its own reader with
    the reader's constants in its text (portal.statements._inline)."""
    from dashboard.inbox import inbox_for

    def grown_by(user) -> dict:
        inbox_for(user)
        before = {text: runs for text, runs, _ in _prepared()}
        first = inbox_for(user)
        second = inbox_for(user)
        assert [(s.key, s.count, s.items) for s in first.sections] == [(s.key, s.count, s.items) for s in second.sections]
        return {text: runs - before.get(text, 0) for text, runs, _ in _prepared() if runs != before.get(text, 0)}

    for person in ("reviewer_nsa", "lead_nsa", "liaison_northwind", "admin"):
        grown = grown_by(demo[person])
        # Every section statement ran prepared, twice (the stopped clocks too).
        assert len(grown) >= 4 and set(grown.values()) == {2}, (person, grown)


def test_kept_statements_of_two_readers_are_two_prepared_statements_with_generic_plans(demo):
    """The reader's id and the statuses are in a kept statement's text, "now"
    is its one parameter: two reviewers of one agency run two statements, and
    each gets a generic plan once five custom ones were made (what makes the
    inbox cheap: PostgreSQL planned each section anew before, 1-3 ms each)."""
    from dashboard.inbox import inbox_for

    reviewers = [demo["reviewer_nsa"], demo["reviewer_cisa"]]
    for _ in range(7):
        for reviewer in reviewers:
            inbox_for(reviewer, only={"assignments"})
    texts = {text: generic for text, _runs, generic in _prepared() if 'FROM "reviews_assignment"' in text and "'invited'" in text}
    for reviewer in reviewers:
        (generic,) = [g for text, g in texts.items() if f'"reviewer_id" = {reviewer.pk} ' in text]
        assert generic >= 1
    assert all("$1" in text and "$2" not in text for text in texts)


def test_kept_statements_past_the_connections_prepared_bound_are_prepared_again(demo, settings):
    """psycopg keeps a bounded number of prepared statements per connection
    (``prepared_max``) and drops the least recently used: with more readers'
    statements than that, each reader still gets exactly their own rows (a
    dropped statement is prepared again), and the bound holds."""
    from dashboard.inbox import inbox_for

    readers = [demo[name] for name in ("reviewer_nsa", "reviewer_cisa", "lead_nsa", "lead_cisa", "liaison_northwind", "admin")]
    settings.PORTAL_PREPARED_STATEMENTS = False  # the answers, nothing prepared
    expected = {r.pk: [(s.key, s.count, s.items) for s in inbox_for(r).sections] for r in readers}
    settings.PORTAL_PREPARED_STATEMENTS = True
    connection.ensure_connection()
    raw = connection.connection
    bound = raw.prepared_max
    # psycopg drops one statement per statement it adds past the bound: those
    # prepared before (by earlier tests on this connection) stay counted.
    start = len(_prepared())
    raw.prepared_max = 3
    try:
        for _ in range(3):
            for reader in readers:
                assert [(s.key, s.count, s.items) for s in inbox_for(reader).sections] == expected[reader.pk]
                assert len(_prepared()) <= max(start, 3)
    finally:
        raw.prepared_max = bound
