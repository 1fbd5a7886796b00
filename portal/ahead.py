"""Reads sent ahead: a page's independent statements sent at once on the
request thread's second connection and read back when the page needs them.

A dashboard asks its inbox five or six statements (``dashboard.inbox``)
that depend on nothing the rest of the page reads. Asked in turn, the
request's thread waits for each (~2 ms of a lead's ~10 ms dashboard at
bench scale) while it could be building the page's table. Sent ahead, in
psycopg's pipeline mode on a second connection, PostgreSQL runs them on
another core while the thread goes on; when the page reads them the rows
are there. No thread is started: the waiting overlaps Python's work without
a second interpreter thread competing for the GIL (``portal.parallel``'s
threads, tried for the inbox, cost 1.5-2.4 ms of CPU and saved no time).

Sent ahead only where that is safe and useful, as ``portal.parallel``
decides for its threads: PostgreSQL with persistent connections
(``CONN_MAX_AGE`` not 0), never inside a transaction (the other connection
would see neither its writes nor its snapshot: every test that runs in one,
``atomic`` blocks), not behind Django's own connection pool, and
``PORTAL_READ_AHEAD`` on. Otherwise, and for a statement that could not be
sent (``Pending.ahead`` false), each read runs in turn on the request's
connection when it is asked for, as before.

A read that fails on the second connection (it broke, the server restarted)
is asked again in turn on the request's connection: every statement sent
ahead is a SELECT, so asking twice changes nothing. The broken connection
is closed, and the thread reads in turn for ``RETRY_SECONDS`` before it
opens a new one (so a server refusing connections is not asked on every
page). A batch never read
(the page failed first) is closed when the request finishes, so the next
request on the thread finds the connection out of pipeline mode.

Statements sent ahead run in autocommit, each in its own snapshot, like the
side-by-side reads. They show in Django's query log (``CaptureQueriesContext``,
``connection.queries`` under DEBUG) on the request's connection, marked
"-- ahead", so a page's statement count still counts them.

Each request thread holds one connection more while it persists (README,
production settings).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, Error, connections

try:
    from psycopg import Error as _DriverError
except ImportError:  # psycopg 2, or no PostgreSQL driver: nothing is ever sent ahead
    _DriverError = Error

# What a failed send or read raises: psycopg's own errors (the cursors here are
# psycopg's, not Django's wrappers) or Django's (opening the connection).
_FAILED = (Error, _DriverError)

logger = logging.getLogger(__name__)

# After a second connection failed, its thread reads in turn this long before trying a new one.
RETRY_SECONDS = 5.0
_clock = time.monotonic
_local = threading.local()  # the thread's second connection and its open batch
# Every thread's second connection, so tests and shutdown can close them.
_all: dict[int, object] = {}
_all_lock = threading.Lock()


def enabled(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether statements may be sent ahead now (see the module's docstring)."""
    from .db import may_read_elsewhere

    if not getattr(settings, "PORTAL_READ_AHEAD", True):
        return False
    return may_read_elsewhere(using) and not connections[using].settings_dict["OPTIONS"].get("pool")


class Pending:
    """One statement's rows: sent ahead (read back by ``rows()``) or, when it
    could not be sent, run in turn by ``rows()`` on the request's connection."""

    __slots__ = ("_batch", "_cursor", "_fallback", "_rows")

    def __init__(self, batch: Batch | None, cursor, fallback: Callable[[], list]):
        self._batch, self._cursor, self._fallback = batch, cursor, fallback
        self._rows: list | None = None

    @property
    def ahead(self) -> bool:
        return self._cursor is not None

    def rows(self) -> list:
        """The statement's rows as tuples (each once: they are kept)."""
        if self._rows is None:
            self._rows = self._batch.read(self) if self._cursor is not None else self._fallback()
        return self._rows


class Batch:
    """Statements sent on the thread's second connection in one pipeline.

    ``send`` sends at once (PostgreSQL starts on it while the caller goes
    on); ``Pending.rows`` reads a statement's rows back (those sent before it
    first, as the server answers in order); ``close`` ends the pipeline.
    Without read-ahead, ``send`` returns a ``Pending`` that runs in turn."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS):
        self.using = using
        self._pipeline = None
        self._wrapper = None
        self._broken = False
        if enabled(using) and _clock() >= getattr(_local, "retry_at", 0.0):
            _close_open_batch()  # a batch of this thread never read (its page failed) ends first
            try:
                self._wrapper = _second_connection(using)
                self._pipeline = self._wrapper.connection.pipeline()
                self._pipeline.__enter__()
            except _FAILED as error:
                self._give_up(error)
            else:
                _local.batch = self

    @property
    def active(self) -> bool:
        """Whether statements go ahead (else ``send`` leaves each to run in turn)."""
        return self._pipeline is not None

    def send(self, sql: str, params, *, prepared: bool, fallback: Callable[[], list]) -> Pending:
        """``sql`` with ``params`` (a kept statement's, as the request's cursor
        would run it) sent now; ``fallback`` runs it in turn on the request's
        connection when it cannot be sent or its read fails."""
        if self._pipeline is None:
            return Pending(None, None, fallback)
        from django.db.backends.postgresql.base import ServerBindingCursor

        raw = self._wrapper.connection
        try:
            # Server-side binding, as the request's kept statements run: the
            # pipeline speaks the extended protocol only.
            cursor = ServerBindingCursor(raw)
            cursor.execute(sql, params, prepare=bool(prepared))
        except _FAILED as error:
            self._give_up(error)
            return Pending(None, None, fallback)
        _log(self.using, sql, params)
        return Pending(self, cursor, fallback)

    def read(self, pending: Pending) -> list:
        if self._broken or self._pipeline is None:
            return pending._fallback()
        try:
            return pending._cursor.fetchall()
        except _FAILED as error:
            # Asked again on the request's connection: every statement here is a read.
            self._give_up(error)
            return pending._fallback()

    def close(self) -> None:
        """End the pipeline (results not read are dropped)."""
        if getattr(_local, "batch", None) is self:
            _local.batch = None
        if self._pipeline is not None and not self._broken:
            pipeline, self._pipeline = self._pipeline, None
            try:
                pipeline.__exit__(None, None, None)
            except _FAILED as error:
                self._give_up(error)

    def _give_up(self, error: BaseException) -> None:
        """Drop the second connection and read in turn; the thread tries a new
        one RETRY_SECONDS later (a server refusing connections — at
        ``max_connections`` — is not asked again on every page)."""
        logger.warning("read-ahead: the second connection failed (%s); reading in turn for %s s", error, RETRY_SECONDS)
        self._broken = True
        self._pipeline = None
        _local.retry_at = _clock() + RETRY_SECONDS
        wrapper = getattr(_local, "wrapper", None)
        _local.wrapper = None
        if wrapper is not None:
            _forget(wrapper)
            try:
                wrapper.close()
            except _FAILED:
                pass


def _second_connection(using: str):
    """The thread's second connection (a Django connection of ``using``'s
    settings, not in ``connections``): closed and opened again when too old
    or unusable, as Django does for the request's own at a request's start."""
    wrapper = getattr(_local, "wrapper", None)
    if wrapper is None or wrapper.alias != using:
        wrapper = connections.create_connection(using)
        # Named apart in pg_stat_activity ("portal read-ahead", or the
        # deployment's own application_name with it); a startup parameter,
        # so nothing is set on the server session. A copy: the alias's
        # settings dict is shared with the request's connection.
        options = dict(wrapper.settings_dict.get("OPTIONS") or {})
        options["application_name"] = f"{options.get('application_name') or 'portal'} read-ahead"
        wrapper.settings_dict = {**wrapper.settings_dict, "OPTIONS": options}
        _local.wrapper = wrapper
    with _all_lock:
        _all[threading.get_ident()] = wrapper
    wrapper.close_if_unusable_or_obsolete()
    wrapper.ensure_connection()
    # Django's connections never prepare (threshold None); this one prepares
    # what it is told to (``Batch.send``'s ``prepared``) and nothing else.
    wrapper.connection.prepare_threshold = 0
    return wrapper


def _forget(wrapper) -> None:
    with _all_lock:
        for key, held in list(_all.items()):
            if held is wrapper:
                del _all[key]


def _log(using: str, sql: str, params) -> None:
    """The statement in the request connection's query log, when it keeps one."""
    connection = connections[using]
    if connection.queries_logged:
        connection.queries_log.append({"sql": f"{sql} -- ahead {params!r}"[:20000], "time": "0.000"})


def _close_open_batch(**kwargs) -> None:
    batch = getattr(_local, "batch", None)
    if batch is not None:
        batch.close()


request_finished.connect(_close_open_batch, dispatch_uid="portal.ahead.close_open_batch")


def close_connections() -> None:
    """Close every thread's second connection (tests, before their database is
    dropped; a process shutting down). A thread opens a new one next time."""
    with _all_lock:
        wrappers = list(_all.values())
        _all.clear()
    for wrapper in wrappers:
        wrapper.inc_thread_sharing()
        try:
            wrapper.close()
        except _FAILED:
            pass
        finally:
            wrapper.dec_thread_sharing()
    _local.__dict__.clear()

