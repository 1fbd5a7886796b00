"""An experiment, not a feature: would one shared search index, read in one
statement per search, bring the search page within 3x the floor (issue 23,
item 6)? Two earlier notes said item 6 needed it. This measures the core of
that design on the seeded data before anyone builds it.

Inside a transaction that is rolled back (nothing stays in the bench
database), it builds ``shared_index.entry``: one row per searchable thing
with its kind, id, review, the agency it is restricted to (an
agency-private question, an unshared finding) and its stored vector, taken
from the portal's own vector columns, with a GIN index over (kind, vector)
(``btree_gin``) and a btree index over (review, kind). Then, per bench user and
``bench search`` query shape, it times one statement that does what the
search's matching and counting do: for each of the five kinds the first 101
rows in the reader's scope (the reach rows: the terms accepted and not
expired; the agency restriction) and the newest 10 among them. The planner
picks the plan, as it would for the real statement.

The experiment leaves out, so as to flatter the design: the certificate of
return, the marking and scan rules of a version's text, a liaison's rules,
the exact-title lead, the rows and snippets of the hits. Beside each figure
it prints what the search as built costs now: every statement of one search
in turn (``today_db_p50``, the database's and the driver's time,
rows and snippets included) and ``search()`` in turn (``today_p50``, Python
included)."""

from __future__ import annotations

import statistics
import time

RUNS = 7
KINDS = 5  # reviews (by their model), document titles, document texts, questions, findings

BUILD = """
CREATE SCHEMA shared_index;
CREATE TABLE shared_index.entry AS
SELECT 0::smallint AS kind, r.id AS obj, r.id AS review_id, NULL::bigint AS agency_id, r.created_at AS at, m.search_vector AS v
  FROM reviews_review r JOIN companies_aimodel m ON m.id = r.model_id
UNION ALL SELECT 1, d.id, d.review_id, NULL, d.created_at, d.search_vector FROM documents_document d
UNION ALL SELECT 2, t.version_id, t.review_id, NULL, t.extracted_at, t.search_vector FROM documents_documenttext t WHERE t.status = 'extracted'
UNION ALL SELECT 3, i.id, i.review_id, CASE WHEN i.private THEN i.agency_id END, i.created_at, i.search_vector FROM rfis_informationrequest i
UNION ALL SELECT 4, f.id, f.review_id, CASE WHEN f.sharing = 'internal' THEN f.agency_id END, f.created_at, f.search_vector FROM findings_finding f;
CREATE INDEX shared_index_review ON shared_index.entry (review_id, kind);
CREATE INDEX shared_index_vector ON shared_index.entry USING gin (kind, v);
ANALYZE shared_index.entry;
"""


def statement(user, parsed) -> tuple[str, list]:
    """The one statement of a search by ``user`` for ``parsed`` (see the module)."""
    function = "to_tsquery" if parsed.prefix else "websearch_to_tsquery"
    if user.is_program_admin:
        scope, params = "TRUE", []
    else:
        scope = ("e.review_id IN (SELECT review_id FROM reviews_reviewreach WHERE user_id = %s AND terms_accepted"
                 " AND (expires_at IS NULL OR expires_at > now())) AND (e.agency_id IS NULL OR e.agency_id = %s)")
        params = [user.pk, user.agency_id or 0]
    sql = (
        "SELECT k.kind, x.n, x.newest FROM generate_series(0, %s) AS k(kind), LATERAL ("
        " SELECT count(*) AS n, (array_agg(obj ORDER BY at DESC))[1:10] AS newest FROM ("
        f"  SELECT e.obj, e.at FROM shared_index.entry e WHERE e.kind = k.kind AND {scope}"
        f"  AND e.v @@ {function}('english'::regconfig, %s) LIMIT 101) AS first) AS x"
    )
    return sql, [KINDS - 1, *params, parsed.terms]


def _p50(call) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(emit) -> None:
    from django.db import connection, transaction

    from accounts.models import User
    from portal.parallel import one_after_another
    from search.query import parse
    from search.selectors import search

    from .search import USERS, queries

    users = {key: User.objects.select_related("membership").get(email=f"bench-{key}@bench.example") for key in USERS}
    # The search as built first, before the build writes 700 MiB through the caches.
    for key, user in users.items():
        for label, text in queries().items():
            def today(user=user, text=text):
                with one_after_another():
                    search(user=user, text=text)

            today()
            emit(f"{key}.{label}.today_p50", round(_p50(today), 2), "ms")
            emit(f"{key}.{label}.today_db_p50", round(statistics.median(_database_ms(today) for _ in range(RUNS)), 2), "ms")
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(BUILD)
        emit("shared_index.build", round(time.perf_counter() - started, 1), "s")
        cursor.execute("SELECT count(*), pg_total_relation_size('shared_index.entry') FROM shared_index.entry")
        rows, size = cursor.fetchone()
        emit("shared_index.rows", rows, "rows")
        emit("shared_index.size", round(size / 2**20), "MiB")
        for key, user in users.items():
            for label, text in queries().items():
                sql, params = statement(user, parse(text))

                def one(sql=sql, params=params):
                    cursor.execute(sql, params)
                    cursor.fetchall()

                one()  # planned and read once before timing, as the search's statements are
                emit(f"{key}.{label}.one_statement_p50", round(_p50(one), 2), "ms")
        transaction.set_rollback(True)


def _database_ms(call) -> float:
    """The time ``call`` spends in its statements (sent, run, read back)."""
    from django.db import connection

    spent = [0.0]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    with connection.execute_wrapper(timed):
        call()
    return spent[0] * 1000
