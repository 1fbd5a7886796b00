"""Outages of the shared cache (Redis) and the database: errors that mean "not reachable now", not "wrong request".

The web answers them with 503 "try again shortly" (portal.middleware); code
that must finish what it started (the outbox recording that an e-mail was
sent) waits them out (``retry_through_database_outage``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("portal.outage")


# Errors of the shared cache (Redis) that mean "not reachable now", not "wrong request".
def _cache_outage_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError
    except ImportError:  # the embedded default runs without redis-py's server
        return ()
    return (ConnectionError, TimeoutError, BusyLoadingError)


CACHE_OUTAGE_ERRORS = _cache_outage_errors()
RETRY_AFTER_SECONDS = 30  # what a 503 tells the client

# SQLSTATEs of a database server that is gone or not accepting work now: connection exceptions
# (class 08), the server shutting down or starting up (57P01-57P03), and out of resources —
# its disk full, out of memory, too many connections (class 53) — or failing to read or write
# its files (58030): the request's transaction is rolled back, and trying later may succeed.
DATABASE_OUTAGE_STATES = ("08", "57P01", "57P02", "57P03", "53", "58030")


def is_database_outage(exc: BaseException) -> bool:
    """The database server is unreachable or went away mid-request (not a bad query).

    Django wraps the driver's error (psycopg's is its ``__cause__``):
    ``InterfaceError`` is a connection already closed; an ``OperationalError``
    counts when the server gave no SQLSTATE (connection refused, cut, closed)
    or one of ``DATABASE_OUTAGE_STATES``. A deadlock or a statement timeout is
    an ``OperationalError`` too, but not an outage: a deadlock stays a 500, a
    statement the web bound stopped is a 503 "took too long" of its own
    (``stopped_statement``).
    """
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    state = getattr(exc.__cause__, "sqlstate", None) or getattr(exc, "sqlstate", None)
    return state is None or state.startswith(DATABASE_OUTAGE_STATES)


def _causes(exc: BaseException | None, most: int = 5):
    """``exc`` and what caused it, nearest first (at most ``most``): Django's
    error wraps the driver's, and a middleware's may wrap both."""
    while exc is not None and most > 0:
        yield exc
        exc = exc.__cause__ or exc.__context__
        most -= 1


def outage_of(exc: BaseException | None) -> str | None:
    """``"cache"`` or ``"database"`` when ``exc`` (or what caused it) is such an outage, else None."""
    for cause in _causes(exc):
        if CACHE_OUTAGE_ERRORS and isinstance(cause, CACHE_OUTAGE_ERRORS):
            return "cache"
        if is_database_outage(cause):
            return "database"
    return None




# SQLSTATE of a statement PostgreSQL stopped: its statement_timeout (portal.db.bounded_web_statements), or cancelled.
QUERY_CANCELED = "57014"


def stopped_statement(exc: BaseException | None) -> bool:
    """``exc`` (or what caused it) is a statement the database stopped before it finished."""
    return any(getattr(cause, "sqlstate", None) == QUERY_CANCELED for cause in _causes(exc))


def retry_through_database_outage(fn: Callable[[], T], *, seconds: float, pause: float = 1.0) -> T:
    """Runs ``fn`` (one transaction); while the database is unreachable, closes the dead
    connection and runs it again, for at most ``seconds``. Other errors, and the
    outage outlasting ``seconds``, raise. Never inside an open transaction."""
    from django.db import connection

    deadline = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except Exception as exc:
            if outage_of(exc) != "database" or connection.in_atomic_block or time.monotonic() + pause > deadline:
                raise
            log.warning("database unavailable (%s); trying again in %s s", exc, pause)
            connection.close()
            time.sleep(pause)
