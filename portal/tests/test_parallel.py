"""portal.parallel: independent reads run at the same time on their own
connections when that is safe, in turn on the caller's connection when it
is not (inside a transaction — every ordinary test —, without persistent
connections, switched off or asked not to), in the caller's context, and a
call's error reaches the caller only once every call has finished."""

from __future__ import annotations

import threading
import time
import zoneinfo

import pytest
from django.db import connection
from django.urls import reverse, set_script_prefix
from django.utils import timezone, translation

from conftest import persistent_connections
from portal import parallel
from portal.scoping import scope_clock, scope_now


def _backend() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0], threading.get_ident()


def test_calls_run_at_the_same_time_each_on_its_own_connection_in_the_callers_context(parallel_reads):
    meet = threading.Barrier(3, timeout=10)  # broken unless three calls wait at once

    def call(n):
        def run():
            meet.wait()
            return n, _backend()
        return run

    main = _backend()
    results = parallel.side_by_side(call(1), call(2), call(3))
    assert [n for n, _ in results] == [1, 2, 3]  # in the order asked
    backends = [backend for _, backend in results]
    assert backends[0] == main  # the first on the caller's thread and connection
    assert len({pid for pid, _ in backends}) == 3 and len({thread for _, thread in backends}) == 3

    # The caller's time zone, language, script prefix (the path the portal is
    # mounted under: links built aside keep it) and scoping clock; a call on
    # the pool asking for calls side by side gets them in turn on its own thread.
    moment = timezone.now() - timezone.timedelta(days=3)

    def seen():
        nested = parallel.side_by_side(_backend, _backend)
        return timezone.get_current_timezone_name(), translation.get_language(), reverse("search"), scope_now(), nested[0] == nested[1]

    set_script_prefix("/portal/")
    try:
        with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")), translation.override("fr"), scope_clock(moment):
            _, aside, again = parallel.side_by_side(_backend, seen, seen)
    finally:
        set_script_prefix("/")
    assert aside == again == ("Asia/Tokyo", "fr", "/portal/search/", moment, True)
    # The pool's threads do not keep a caller's prefix for the next caller.
    assert parallel.side_by_side(lambda: reverse("search"), lambda: reverse("search"), lambda: reverse("search")) == ["/search/"] * 3


def test_a_call_runs_in_turn_here_rather_than_wait_for_a_busy_pool(parallel_reads, settings):
    """One pool thread: the second call takes it, the third runs on the
    caller's thread (after the first) instead of queuing behind the second."""
    settings.PORTAL_PARALLEL_READS = 1
    meet = threading.Barrier(2, timeout=10)
    release = threading.Event()

    def first():
        meet.wait()
        return _backend()

    def second():
        meet.wait()
        release.wait(10)  # holds the only pool thread until the third call has run
        return _backend()

    def third():
        release.set()
        return _backend()

    main = _backend()
    one, two, three = parallel.side_by_side(first, second, third)
    assert one == three == main and two[0] != main[0]
    # With the pool free again, a second call goes aside once more.
    assert parallel.side_by_side(_backend, _backend)[1][0] != main[0]


def test_calls_run_in_turn_on_the_callers_connection_inside_a_transaction(db, settings):
    """Every ordinary test runs in one: another connection would not see its rows."""
    settings.PORTAL_PARALLEL_READS = 3
    with persistent_connections():
        main = _backend()
        assert parallel.side_by_side(_backend, _backend, _backend) == [main, main, main]


def test_calls_run_in_turn_without_persistent_connections_switched_off_or_asked_to(parallel_reads, settings):
    main = _backend()
    connection.settings_dict["CONN_MAX_AGE"] = 0
    assert parallel.side_by_side(_backend, _backend) == [main, main]
    connection.settings_dict["CONN_MAX_AGE"] = 60
    with parallel.one_after_another():
        assert parallel.side_by_side(_backend, _backend) == [main, main]
    settings.PORTAL_PARALLEL_READS = 0
    assert parallel.side_by_side(_backend, _backend) == [main, main]
    settings.PORTAL_PARALLEL_READS = 3
    assert parallel.side_by_side(_backend, _backend)[1] != main  # and aside again


def _shown(*names: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in names), list(names))
        return cursor.fetchone()


def test_a_call_aside_runs_in_a_read_only_transaction_and_leaves_the_session_as_it_was(parallel_reads, settings):
    """Behind a pooler in transaction mode the pool's server connection serves
    other clients next: nothing of a call may outlive its transaction."""
    settings.PORTAL_PARALLEL_READS = 1  # one pool thread: every call aside on the same connection

    def inside():
        return _shown("transaction_read_only"), connection.in_atomic_block

    main, aside = parallel.side_by_side(lambda: _shown("transaction_read_only"), inside)
    assert main == ("off",)  # the caller's connection: untouched
    assert aside == (("on",), True)

    # The pool thread's connection between calls, outside any transaction: as a new session.
    pool, _ = parallel._the_pool()
    between = pool.submit(lambda: (_shown("default_transaction_read_only", "transaction_read_only"), connection.in_atomic_block)).result()
    assert between == (("off", "off"), False)


def test_an_error_reaches_the_caller_once_every_call_has_finished_and_a_broken_connection_is_replaced(parallel_reads, settings):
    finished = threading.Event()

    def slow():
        time.sleep(0.3)
        finished.set()
        return "done"

    def broken():
        raise ValueError("the documents read failed")

    with pytest.raises(ValueError, match="the documents read failed"):
        parallel.side_by_side(broken, slow)
    assert finished.is_set()
    with pytest.raises(ValueError, match="the documents read failed"):
        parallel.side_by_side(slow, broken)
    # The pool's connection still works after its call failed.
    assert parallel.side_by_side(_backend, _backend)[1][0] != _backend()[0]

    # A call on the pool cannot write: it runs in a read-only transaction.
    from django.db import DatabaseError

    from agencies.models import Agency

    def write():
        Agency.objects.create(name="Written aside", acronym="WRA")

    with pytest.raises(DatabaseError, match="read-only transaction"):
        parallel.side_by_side(_backend, write)
    assert not Agency.objects.filter(name="Written aside").exists()

    # A pool thread's connection that died (a restart, a network cut) is closed
    # once the call on it fails, and the next call connects again.
    settings.PORTAL_PARALLEL_READS = 1  # one pool thread: every call aside on the same connection
    first = parallel.side_by_side(_backend, _backend)[1][0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    from django.db import OperationalError, InterfaceError

    with pytest.raises((OperationalError, InterfaceError)):
        parallel.side_by_side(_backend, _backend)
    again = parallel.side_by_side(_backend, _backend)[1][0]
    assert again != first
