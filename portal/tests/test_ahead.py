"""portal.ahead: statements sent ahead on the thread's second connection run
there before the caller reads them; where that is not safe (inside a
transaction — every ordinary test —, without persistent connections,
switched off) each runs in turn on the caller's connection when read; a
second connection that broke is replaced and its reads asked again in turn."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import persistent_connections
from portal import ahead, statements

MOMENT = "SELECT pg_backend_pid(), clock_timestamp()"


def _here():
    with connection.cursor() as cursor:
        cursor.execute(MOMENT)
        return cursor.fetchone()


def _in_turn_marker():
    return [("in turn",)]


def _lock_holder(key: int):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted", [key])
        row = cursor.fetchone()
        return row[0] if row else None


def test_a_statement_sent_ahead_runs_on_the_second_connection_before_it_is_read(read_ahead):
    key = 918_273
    main_pid, _ = _here()
    batch = ahead.Batch()
    assert batch.active
    first = batch.send("SELECT pg_backend_pid(), pg_advisory_lock(%s)", [key], prepared=False, fallback=_in_turn_marker)
    second = batch.send("SELECT %s::int + 1", [41], prepared=True, fallback=_in_turn_marker)
    # Nothing read yet, and the server has already run the first: its lock is held.
    holder = None
    for _ in range(1000):
        holder = _lock_holder(key)
        if holder is not None:
            break
    (pid, _), = first.rows()
    assert second.rows() == [(42,)]
    assert holder == pid != main_pid
    # Told apart from the request's own in pg_stat_activity.
    names = dict(batch.send("SELECT pid, application_name FROM pg_stat_activity WHERE pid IN (%s, %s)", [pid, main_pid],
                            prepared=False, fallback=_in_turn_marker).rows())
    assert names[pid].endswith(" read-ahead") and not names[main_pid].endswith("read-ahead")
    assert "application_name" not in connection.settings_dict["OPTIONS"]  # the alias's own settings untouched
    batch.send("SELECT pg_advisory_unlock(%s)", [key], prepared=False, fallback=_in_turn_marker).rows()
    batch.close()
    # The thread keeps its second connection for the next batch.
    again = ahead.Batch()
    assert again.send(MOMENT, [], prepared=False, fallback=_in_turn_marker).rows()[0][0] == pid
    again.close()


def test_a_kept_statement_sent_ahead_gives_the_rows_and_count_it_gives_in_turn(read_ahead, demo):
    from reviews.models import Review

    def build(*, ids):
        return Review.objects.filter(pk__any_of=ids).select_related("model").order_by("id")

    ids = sorted(Review.objects.values_list("pk", flat=True))[:3]
    in_turn = statements.cached_rows(("test.ahead", "rows"), build, ids=ids)
    count = statements.cached_count(("test.ahead", "count"), build, ids=ids)
    batch = ahead.Batch()
    sent = statements.Ahead(batch)
    rows = sent.rows(("test.ahead", "rows"), build, ids=ids)
    counted = sent.count(("test.ahead", "count"), build, ids=ids)
    found = rows()
    batch.close()
    assert [(r.pk, r.model.name) for r in found] == [(r.pk, r.model.name) for r in in_turn] and len(found) == 3
    assert counted() == count == 3


def test_statements_are_logged_on_the_callers_connection_marked_ahead(read_ahead):
    batch = ahead.Batch()
    with CaptureQueriesContext(connection) as ctx:
        batch.send("SELECT %s::int", [7], prepared=False, fallback=_in_turn_marker).rows()
    batch.close()
    assert [q["sql"] for q in ctx.captured_queries] == ["SELECT %s::int -- ahead [7]"]


def test_inside_a_transaction_each_statement_runs_in_turn_on_the_callers_connection(db, settings):
    settings.PORTAL_READ_AHEAD = True
    with persistent_connections():
        batch = ahead.Batch()
        assert not batch.active
        pending = batch.send(MOMENT, [], prepared=False, fallback=lambda: [_here()])
        assert not pending.ahead
        assert pending.rows()[0][0] == _here()[0]  # the caller's own connection
        batch.close()


def test_without_persistent_connections_or_switched_off_nothing_goes_ahead(read_ahead, settings):
    connection.settings_dict["CONN_MAX_AGE"] = 0
    try:
        assert not ahead.Batch().active
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = 60
    settings.PORTAL_READ_AHEAD = False
    batch = ahead.Batch()
    assert not batch.active
    assert batch.send("SELECT 1", [], prepared=False, fallback=_in_turn_marker).rows() == [("in turn",)]
    settings.PORTAL_READ_AHEAD = True
    assert ahead.Batch().active


def test_a_second_connection_that_died_is_read_in_turn_and_replaced(read_ahead, monkeypatch, caplog):
    monkeypatch.setattr(ahead, "RETRY_SECONDS", 0)  # replaced at the next batch (see the test below for the wait)
    batch = ahead.Batch()
    pid = batch.send(MOMENT, [], prepared=False, fallback=_in_turn_marker).rows()[0][0]
    batch.close()
    # Killed between two batches (a restart, a network cut): the send or the read fails.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    batch = ahead.Batch()
    with caplog.at_level("WARNING", logger="portal.ahead"):
        assert batch.send("SELECT 2", [], prepared=False, fallback=_in_turn_marker).rows() == [("in turn",)]
    assert [r.getMessage().split(" (")[0] for r in caplog.records if r.name == "portal.ahead"] == ["read-ahead: the second connection failed"]
    batch.close()
    # The next batch has a new connection.
    batch = ahead.Batch()
    fresh = batch.send(MOMENT, [], prepared=False, fallback=_in_turn_marker).rows()[0][0]
    batch.close()
    assert fresh not in (pid, "in turn")

    # Killed after the statements were sent, before they are read: each read asked again in turn.
    batch = ahead.Batch()
    one = batch.send("SELECT pg_sleep(0.2), 1", [], prepared=False, fallback=_in_turn_marker)
    two = batch.send("SELECT 2", [], prepared=True, fallback=_in_turn_marker)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [fresh])
    assert one.rows() == [("in turn",)] and two.rows() == [("in turn",)]
    batch.close()
    batch = ahead.Batch()
    assert batch.send("SELECT 3", [], prepared=False, fallback=_in_turn_marker).rows() == [(3,)]
    batch.close()


def test_a_batch_never_read_is_closed_before_the_next_and_when_the_request_finishes(read_ahead):
    from django.core.signals import request_finished

    batch = ahead.Batch()
    batch.send("SELECT 1", [], prepared=False, fallback=_in_turn_marker)  # its page failed before reading it
    following = ahead.Batch()  # the same thread's next page
    assert following.send("SELECT 5", [], prepared=False, fallback=_in_turn_marker).rows() == [(5,)]
    unread = following.send("SELECT 6", [], prepared=False, fallback=_in_turn_marker)
    request_finished.send(sender=None)
    assert unread.rows() == [("in turn",)]  # closed unread: asked in turn if it is read after all
    # The connection is out of pipeline mode: a batch after it works.
    after = ahead.Batch()
    assert after.send("SELECT 7", [], prepared=False, fallback=_in_turn_marker).rows() == [(7,)]
    after.close()
    assert ahead._local.wrapper.connection._pipeline is None


def test_a_server_refusing_the_second_connection_is_asked_again_only_after_a_wait(read_ahead, monkeypatch):
    from django.db import connections

    attempts = []
    real = connections.create_connection

    def refused(alias):
        wrapper = real(alias)
        wrapper.settings_dict = {**wrapper.settings_dict, "PORT": "1"}  # nothing listens there: refused
        attempts.append(alias)
        return wrapper

    ahead.close_connections()
    monkeypatch.setattr(connections, "create_connection", refused)
    clock = [1000.0]
    monkeypatch.setattr(ahead, "_clock", lambda: clock[0])
    for _ in range(3):  # in turn each time; one attempt, then none within RETRY_SECONDS
        batch = ahead.Batch()
        assert not batch.active
        assert batch.send("SELECT 1", [], prepared=False, fallback=_in_turn_marker).rows() == [("in turn",)]
        batch.close()
    assert attempts == ["default"]
    monkeypatch.setattr(connections, "create_connection", real)
    clock[0] += ahead.RETRY_SECONDS
    batch = ahead.Batch()  # the wait is over: a new connection, and it works
    assert batch.active and batch.send("SELECT 4", [], prepared=False, fallback=_in_turn_marker).rows() == [(4,)]
    batch.close()


@pytest.mark.parametrize("prepared", [False, True])
def test_an_error_in_a_statement_is_asked_again_in_turn_where_it_raises(read_ahead, prepared, monkeypatch):
    monkeypatch.setattr(ahead, "RETRY_SECONDS", 0)
    from django.db import ProgrammingError

    def in_turn():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")
            return cursor.fetchall()

    batch = ahead.Batch()
    pending = batch.send("SELECT * FROM no_such_table", [], prepared=prepared, fallback=in_turn)
    with pytest.raises(ProgrammingError, match="no_such_table"):
        pending.rows()
    batch.close()
    batch = ahead.Batch()
    assert batch.send("SELECT 8", [], prepared=False, fallback=_in_turn_marker).rows() == [(8,)]
    batch.close()


def test_a_statement_sent_prepared_is_prepared_on_the_second_connection_and_others_are_not(read_ahead):
    """Django's connections never prepare (their threshold is None); the second
    connection prepares what it is told to, so from its sixth run PostgreSQL
    may use the statement's generic plan instead of planning it again."""
    kept, planned = "SELECT %s::int * 2 AS kept_ahead", "SELECT %s::int * 3 AS planned_ahead"
    for n in range(6):
        batch = ahead.Batch()
        assert batch.send(kept, [n], prepared=True, fallback=_in_turn_marker).rows() == [(2 * n,)]
        assert batch.send(planned, [n], prepared=False, fallback=_in_turn_marker).rows() == [(3 * n,)]
        batch.close()
    batch = ahead.Batch()
    seen = batch.send(
        "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
        ["%_ahead"], prepared=False, fallback=_in_turn_marker,
    ).rows()
    batch.close()
    assert [(sql.replace("$1", "%s"), runs) for sql, runs in seen] == [(kept, 6)]
