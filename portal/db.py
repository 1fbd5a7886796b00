"""Database helpers shared by every app's selectors."""

import functools
from contextlib import contextmanager

from django.db.models import Field, ForeignObject, Func, IntegerField, Lookup, Value
from django.db.models.functions import Cast


@Field.register_lookup
class AnyOf(Lookup):
    """``field__any_of=[...]``: ``field = ANY(%s)`` with one array parameter.

    A visibility filter can carry thousands of ids; as one array parameter
    the statement stays short and PostgreSQL plans it like ``IN`` (an index
    or bitmap scan on the ids). Other databases get a plain ``IN``.
    """

    lookup_name = "any_of"

    def get_prep_lookup(self):
        if isinstance(self.rhs, CsvIds):
            return self.rhs
        field = self.lhs.output_field
        target = getattr(field, "target_field", field)
        return [target.get_prep_value(getattr(v, "pk", v)) for v in self.rhs]

    def process_rhs(self, compiler, connection):
        return "%s", [list(self.rhs)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if isinstance(self.rhs, CsvIds):
            if not len(self.rhs):
                return "1 = 0", list(lhs_params)
            if connection.vendor == "postgresql":
                return self._array(lhs, self._db_type(connection)), [*lhs_params, self.rhs.csv]
        values = list(self.rhs)
        if not values:
            return "1 = 0", list(lhs_params)
        if connection.vendor == "postgresql":
            # One text parameter split on the server: with client-side binding
            # this is about twice as fast as an array literal of 20,000 ids
            # (measured in bench/), and the explicit element type keeps the plan
            # stable.
            text = ",".join(str(int(v)) for v in values)
            return self._array(lhs, self._db_type(connection)), [*lhs_params, text]
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]

    def _array(self, lhs: str, db_type: str) -> str:
        return f"{lhs} = ANY(string_to_array(%s, ',')::{db_type}[])"

    def _db_type(self, connection) -> str:
        db_type = (self.lhs.output_field.db_type(connection) or "bigint").split("(")[0]
        return {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}.get(db_type, db_type)


@Field.register_lookup
class AnyOfUnplanned(AnyOf):
    """``field__any_of_unplanned=[...]``: ``any_of`` with the ids out of the
    planner's view (``= ANY((SELECT …))``, an InitPlan read when the statement
    runs), for a kept statement whose plan should not depend on how many ids
    it is given — rows read by the ids just found.

    Prepared, such a statement is priced generic against the plans made for
    its first runs' values; with one or two ids in view those look cheaper,
    and PostgreSQL planned every run afresh (a search's questions or findings
    by id: 0.65 ms planning a 0.2 ms statement at bench scale). Hidden, every
    run is priced the same and the generic plan is kept (see UnplannedValue).
    The ids are still the one text parameter ``any_of`` sends, a slot of a
    kept statement."""

    lookup_name = "any_of_unplanned"

    def _array(self, lhs: str, db_type: str) -> str:
        # The subquery cast as an array: a scalar subquery, not ANY's row-wise form.
        return f"{lhs} = ANY((SELECT string_to_array(%s, ',')::{db_type}[])::{db_type}[])"


class CsvIds:
    """Ids as the database returned them: one comma-separated text and its length.

    The grants query aggregates a user's review ids on the server
    (``string_agg``) and the text goes back as the ``any_of`` parameter
    unchanged: 20,000 ids never become 20,000 Python ints (that round trip
    cost ~15 ms per page, measured in bench/). Iterating parses on demand.
    """

    __slots__ = ("csv", "_count")

    def __init__(self, csv: str | None, count: int):
        self.csv = csv or ""
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __iter__(self):
        return iter([int(v) for v in self.csv.split(",")] if self.csv else [])

    def __repr__(self) -> str:
        return f"CsvIds({self._count} ids)"


class IntArray(Func):
    """``ARRAY[a, b, …]`` of integer expressions (PostgreSQL): one column that
    Django returns as it comes. An integer column gets a converter in Python,
    which a kept ``values`` statement (``portal.statements``) does not run, so
    counts read that way come back in an array."""

    template = "ARRAY[%(expressions)s]"

    def __init__(self, *expressions):
        from django.contrib.postgres.fields import ArrayField

        super().__init__(*expressions, output_field=ArrayField(IntegerField()))


class UnplannedValue(Func):
    """``(SELECT value::type)``: a value the planner does not look at (an
    InitPlan, read when the statement runs), for a comparison whose plan
    should not depend on it.

    A kept statement (``portal.statements``) runs prepared, and PostgreSQL
    prices its generic plan against the plans it made for the values of its
    first runs; where those are cheaper by its estimate it plans every run
    afresh. The reviewer's "windows ending soon" walks an index in order and
    stops after eleven rows whatever the bound, but with the bound in view
    its custom plans were priced 390 against the generic plan's 430, so it
    was planned on every visit (1.5 ms at bench scale, against 0.25 ms
    running it). Hidden, every run is priced the same and the generic plan
    is kept. The value is still a parameter: a slot of a kept statement."""

    template = "(SELECT %(expressions)s)"

    def __init__(self, value, output_field):
        super().__init__(Cast(Value(value), output_field), output_field=output_field)


# Related fields keep their own lookup registry.
ForeignObject.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOfUnplanned)


def may_read_elsewhere(using: str = "default") -> bool:
    """Whether another connection may read for ``using``'s right now: on
    PostgreSQL, outside a transaction (another connection would see neither
    its writes nor its snapshot: every test that runs in one, ``atomic``
    blocks) and with persistent connections (without, each read elsewhere
    would connect anew). ``portal.parallel`` and ``portal.ahead`` ask it."""
    from django.db import connections

    connection = connections[using]
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.settings_dict.get("CONN_MAX_AGE") != 0
    )


def may_prepare(using: str = "default") -> bool:
    """Whether ``using``'s statements may be kept prepared on the server at
    all: ``PORTAL_PREPARED_STATEMENTS`` on and not behind Django's own pool
    (``prepared_statements``; a connection sent ahead, ``portal.ahead``)."""
    from django.conf import settings
    from django.db import connections

    return bool(getattr(settings, "PORTAL_PREPARED_STATEMENTS", True)) and not connections[using].settings_dict["OPTIONS"].get("pool")


@contextmanager
def prepared_statements(using: str = "default"):
    """Statements run inside are bound on the server and kept prepared on the
    connection (psycopg's prepared statements; PostgreSQL only, a no-op
    elsewhere or inside a pool that cannot keep them).

    For point lookups whose plan does not depend on the values — the review
    page's one statement (``reviews.selectors.review_page_get``): a review by
    id with the reader's standing and the page's counts in fourteen
    correlated subqueries, planned in ~5 ms and run in ~0.6 ms. Prepared,
    PostgreSQL plans it once per connection (a generic plan after five
    custom ones) — and, through ``prepared_page``, every statement of a
    page about one review. Never around a search or a list as a whole: their
    best plan depends on who asks (20 reviews or 20,000) and what, which a
    generic plan of statements whose constants are parameters ignores
    (measured: the 20,000-review search doubled with every statement
    prepared). The kept statements of ``portal.statements`` run prepared on
    their own — a list's rows by id, the dashboards' sections — with their
    constants in their text, so a generic plan is one reader's; the
    search's never.

    Django's connections bind client-side and never prepare (settings:
    ``OPTIONS`` leaves ``server_side_binding`` and ``prepare_threshold`` at
    their defaults, which keeps connection poolers working); this switches
    one connection's cursor class and threshold for the block only.
    ``PORTAL_PREPARED_STATEMENTS=false`` turns it off (behind a pooler in
    transaction mode that cannot keep prepared statements).
    """
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "postgresql" or not may_prepare(using):
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    if not hasattr(raw, "prepare_threshold"):  # psycopg 2
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    features = connection.features.__dict__
    missing = object()
    binding = features.get("uses_server_side_binding", missing)
    raw.cursor_factory, raw.prepare_threshold = ServerBindingCursor, 0
    # Django's query log (CaptureQueriesContext, DEBUG's connection.queries)
    # composes a server-bound statement's SQL from its parameters only when
    # the connection says it binds on the server.
    features["uses_server_side_binding"] = True
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = factory, threshold
        if binding is missing:
            features.pop("uses_server_side_binding", None)
        else:
            features["uses_server_side_binding"] = binding


def prepared_page(view):
    """A page about one review or one of its objects whose every statement is
    kept prepared on the connection (``prepared_statements``) while it reads
    and renders, for GET and HEAD only.

    Each of such a page's ten-odd statements is anchored on that review's or
    object's id (its rows, the reader's grant on it), so its plan does not
    depend on who asks, and PostgreSQL parsing and planning each one again
    cost more than running it (1-3 ms against 0.05-0.3 ms). Lists and
    searches stay unprepared: their plans depend on how much the reader sees
    (measured: generic plans doubled the 20,000-review search). Dashboards
    decide per role (``dashboard.inbox.inbox_for``)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with prepared_statements():
            return view(request, *args, **kwargs)

    return wrapped


def bounded_web_statements(sender, connection, **kwargs) -> None:
    """Gives a new connection of a web process ``PORTAL_WEB_STATEMENT_TIMEOUT``
    seconds as its ``statement_timeout`` (0: none).

    Connected by ``portal.middleware.StatementTimeoutMiddleware`` when a
    request handler loads its middleware, so only web processes: a Celery
    worker or a management command (a migration building an index) loads
    none and keeps no bound. Every connection of the process gets it — the
    request thread's, the side-by-side readers' (``portal.parallel``), the
    read-ahead one (``portal.ahead``) — as a session setting, once per
    connection (they persist ``CONN_MAX_AGE``). Lock waits count towards it.
    """
    from django.conf import settings

    seconds = getattr(settings, "PORTAL_WEB_STATEMENT_TIMEOUT", 0)
    if connection.vendor != "postgresql" or not seconds:
        return
    # On the driver's connection: not in Django's query log (a page's query count is the page's own).
    connection.connection.execute(f"SET statement_timeout = {int(seconds * 1000)}")


def fast_utc_timestamps(sender, connection, **kwargs) -> None:
    """Read ``timestamptz`` columns with psycopg's C parser on a UTC connection.

    Django registers its own loader (``psycopg_any.BaseTzLoader``) so that a
    value carries the connection's time zone as ``datetime.timezone.utc``; it
    subclasses psycopg's pure-Python parser, a regular expression per value:
    ~12 µs each here, 600 of them on a 100-row list (~7 ms of the page). With
    the binary psycopg installed and the session's time zone UTC — Django's
    setting with ``USE_TZ`` — psycopg's C loader returns the same datetimes,
    ``tzinfo`` the same ``datetime.timezone.utc`` object, in ~1 µs. Any other
    time zone, database or psycopg build keeps Django's loader.
    """
    import datetime

    if connection.vendor != "postgresql" or connection.timezone is not datetime.timezone.utc:
        return
    import psycopg
    from psycopg.pq import Format

    raw = connection.connection
    if psycopg.pq.__impl__ not in ("binary", "c") or raw.pgconn.parameter_status(b"TimeZone") != b"UTC":
        return
    raw.adapters.register_loader("timestamptz", _utc_timestamp_loader(Format.TEXT))


@functools.cache
def _utc_timestamp_loader(text_format):
    import datetime

    from psycopg import adapters
    from psycopg.adapt import Loader

    parse = adapters.get_loader(adapters.types["timestamptz"].oid, text_format)  # the C class: it cannot be subclassed

    class UtcTimestampLoader(Loader):
        # What Django's cursors compare with the connection's zone before
        # putting their own loader back (DatabaseWrapper.create_cursor).
        timezone = datetime.timezone.utc

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.load = parse(oid, context).load  # the C parser's, called directly

        def load(self, data):  # replaced per instance in __init__; the ABC wants it defined
            raise NotImplementedError

    return UtcTimestampLoader
