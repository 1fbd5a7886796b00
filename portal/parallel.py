"""Independent reads of one request, run side by side on their own connections.

A search asks four independent questions (reviews, documents, questions,
findings), each a few statements that PostgreSQL plans and runs while the
request's thread waits. Run one after another they add up (~45 ms of a
~60 ms search of a reviewer on 20,000 reviews at bench scale); run side by
side on the process's small pool of threads — each thread with its own
persistent connection, so PostgreSQL works on them at once — the request
waits about as long as the slowest (measured at bench scale, A/B on one
machine: searches 20-35 % faster).

They run one after another, on the calling thread, whenever side by side
would be wrong or slower:

* inside a transaction (``atomic``, and every test that runs in one): another
  connection sees neither the transaction's own writes nor its snapshot;
* when connections do not persist (``CONN_MAX_AGE`` 0, the development
  default): each thread would connect anew every time;
* off PostgreSQL, with ``PORTAL_PARALLEL_READS`` 0, inside one of the
  pool's own threads (no nesting), and inside ``one_after_another()``
  (bench/search.py reads every statement of a search from one connection).

Each call runs in a copy of the caller's context (``contextvars``: the
audit's request id, the scoping's clock), with the caller's time zone,
language and script prefix (the path the portal is mounted under) active.
A call only reads: a write would commit outside the request's transaction,
so each call on the pool runs in a read-only transaction of its own
(``BEGIN READ ONLY``: PostgreSQL refuses a write).
Nothing is set on the server session: behind a pooler in transaction mode
the server connection goes back to other clients as it was. Before each
call the thread's connection is closed if it is too old or broke last time
(``close_old_connections``, as Django does when a request starts). A
call's exception is raised to the caller once every call has finished, so
nothing of the request is still running when it fails.

Each process holds up to ``PORTAL_PARALLEL_READS`` connections more than it
has request threads (README, production settings).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections, transaction
from django.urls import get_script_prefix, set_script_prefix
from django.utils import timezone, translation

T = TypeVar("T")

_pool: tuple[ThreadPoolExecutor, threading.BoundedSemaphore] | None = None
_pool_lock = threading.Lock()
_worker = threading.local()  # marks the pool's own threads
_sequential: contextvars.ContextVar[bool] = contextvars.ContextVar("portal_parallel_sequential", default=False)
# Each pool thread's connection wrapper (by thread id), so tests and shutdown can close them.
_thread_connections: dict[int, object] = {}


def workers() -> int:
    return max(0, int(getattr(settings, "PORTAL_PARALLEL_READS", 0) or 0))


def side_by_side(*calls: Callable[[], T], using: str = DEFAULT_DB_ALIAS) -> list[T]:
    """The results of ``calls``, in their order: the first on the calling
    thread, the others on the pool at the same time when that is safe (see
    the module's docstring) and a pool thread is free for them, otherwise
    in turn on the calling thread."""
    if len(calls) < 2 or not _may_run_aside(using):
        return [call() for call in calls]
    pool, free = _the_pool()
    # A call goes to the pool only if a thread is free for it now (never
    # queued behind another request's calls: with the pool busy, the rest
    # run in turn here, as without the pool).
    aside = [n for n in range(1, len(calls)) if free.acquire(blocking=False)]
    # Django keeps the active time zone, language and script prefix per thread
    # (asgiref's Local hides them from other threads whatever the context):
    # passed on. Without the prefix, a link built aside (a search hit's)
    # missed the path the portal is mounted under (SCRIPT_NAME).
    zone, language, prefix = timezone.get_current_timezone(), translation.get_language(), get_script_prefix()
    futures = {}
    try:
        for n in aside:
            futures[n] = pool.submit(_in_worker, free, contextvars.copy_context(), calls[n], using, zone, language, prefix)
    except BaseException:
        for n in aside[len(futures):]:
            free.release()  # not submitted (the pool shutting down): their slots back
        raise
    outcomes: dict[int, tuple[object, BaseException | None]] = {}
    try:
        for n in range(len(calls)):
            if n not in futures:
                outcomes[n] = (calls[n](), None)
    finally:
        # Every call finishes before the caller goes on or sees an error.
        outcomes.update((n, _outcome(future)) for n, future in futures.items())
    results = []
    for n in range(len(calls)):
        value, error = outcomes[n]
        if error is not None:
            raise error
        results.append(value)
    return results


@contextmanager
def one_after_another():
    """Inside, ``side_by_side`` runs every call on the calling thread."""
    token = _sequential.set(True)
    try:
        yield
    finally:
        _sequential.reset(token)


def close_connections() -> None:
    """Close the pool threads' connections (tests, before their database is
    dropped; a process shutting down). Only while no call is running: a
    thread opens a new one when it next runs a call."""
    for wrapper in list(_thread_connections.values()):
        wrapper.inc_thread_sharing()
        try:
            wrapper.close()
        finally:
            wrapper.dec_thread_sharing()


def _pool_resized(*, setting: str, **kwargs) -> None:
    """A changed ``PORTAL_PARALLEL_READS`` (tests) gets a pool of its size."""
    global _pool
    if setting != "PORTAL_PARALLEL_READS":
        return
    with _pool_lock:
        old, _pool = _pool, None
    if old is not None:
        close_connections()
        _thread_connections.clear()
        old[0].shutdown(wait=True)


setting_changed.connect(_pool_resized, dispatch_uid="portal.parallel.pool_resized")


def _may_run_aside(using: str) -> bool:
    from .db import may_read_elsewhere

    if _sequential.get() or getattr(_worker, "active", False) or not workers():
        return False
    return may_read_elsewhere(using)


def _the_pool() -> tuple[ThreadPoolExecutor, threading.BoundedSemaphore]:
    """The process's pool and its free threads (a call takes one before it is submitted)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            size = workers()
            _pool = (ThreadPoolExecutor(max_workers=size, thread_name_prefix="portal-reads"), threading.BoundedSemaphore(size))
        return _pool


def _in_worker(free, context: contextvars.Context, call: Callable[[], T], using: str, zone, language: str | None, prefix: str) -> T:
    try:
        _worker.active = True
        connection = connections[using]
        _thread_connections.setdefault(threading.get_ident(), connection)
        close_old_connections()  # as Django does when a request starts: too old or broke last time, reconnect
        connection.ensure_connection()
        # psycopg begins this connection's transactions READ ONLY (a client-side
        # setting: nothing stays on the server session).
        connection.connection.read_only = True
        with transaction.atomic(using=using):
            return context.run(_localised, call, zone, language, prefix)
    finally:
        _worker.active = False
        free.release()


def _localised(call: Callable[[], T], zone, language: str | None, prefix: str) -> T:
    # Inside the copied context: Django's per-thread locals live in a context variable too.
    previous = get_script_prefix()
    set_script_prefix(prefix)
    try:
        with timezone.override(zone), translation.override(language):
            return call()
    finally:
        set_script_prefix(previous)  # the thread's next call brings its own


def _outcome(future) -> tuple[object, BaseException | None]:
    try:
        return future.result(), None
    except BaseException as error:  # noqa: BLE001 — handed to the caller
        return None, error
