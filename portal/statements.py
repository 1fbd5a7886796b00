"""Compiled statements kept per process for the hottest reads.

A page about one review starts with one statement (``reviews.selectors.
review_page_get``): the review, the reader's standing on it in seven
correlated EXISTS and, on the review's own page, the apps' counts. Django
builds and compiles that queryset anew on every request — ~20 ms of a ~60 ms
page at bench scale, against ~1 ms running it prepared; a dashboard's
sections cost the same again. What changes from one request to the next of
the same reader is a few values: the review's id, "now" (the grants' expiry,
the sections' deadlines). ``cached_rows`` and ``cached_count`` compile a
statement once per call site and reader, find where those values sit among
its parameters, and afterwards only fill them in.

What makes it safe, checked when a statement is first compiled (anything
unexpected and the call site is simply built and compiled every time, as
before):

* The statement is built twice, with two sets of stand-in values (never
  run; ids and datetimes that differ in every digit and component). The two
  SQL texts must be equal and every parameter must either be equal in both
  builds (a constant of this reader: their id, their agency …) or be one of
  the stand-ins in both (a slot) — for a datetime, also moved by one fixed
  offset in both (``now - 3 days``). Anything else derived from a value (a
  time cut to its day, an id divided) or read elsewhere (``timezone.now()``
  instead of the ``now`` passed in) matches neither and the call site is not
  kept. While building, the scoping's clock (``portal.scoping.scope_now``,
  read by ``reach_of`` and the Standing) is the ``now`` given.
* Building must build afresh: a queryset kept from an earlier build (a
  memo) carries the moment it was built at. If both stand-in builds share a
  stand-in value (or a moment near one), the statement is refused; a memo
  filled before the first compile cannot be told from a constant, so a
  build never reuses a queryset it did not build from its own values.
* Building must not touch the database: a value read at build time (a group
  membership, a setting row) would be frozen into the statement. A build that
  runs a query is not kept.
* The key names everything else the build reads. Callers put in it every
  attribute of the reader their scoping reads (``portal.scoping.reader_key``:
  id, role, organisation, active) and any module constant; a reader whose
  role or organisation changes gets a new key, a grant added or revoked
  changes rows, not the statement, and a settings change empties the cache.
* A text slot (a search's words) must reach the statement unchanged: its
  two stand-ins differ in length, case, spaces, quotes, stars and words, so
  a build that derives anything from it (lower-cases it, parses it, tests
  its length) builds two different statements, or a parameter that is
  neither stand-in, and is not kept.
* Integer slot values outside the 32-bit range (an id from a URL) go the
  uncached way, where Django answers "no rows" without asking the database.
  An id list is a slot only as ``portal.db.AnyOf`` writes it on PostgreSQL
  (one text of the ids, in order); an empty list goes the uncached way.

Entries are bounded (``PORTAL_STATEMENT_CACHE_ENTRIES``, least recently
used dropped; ~5 KB for a ``values_list`` statement, ~20 KB for rows) and never
shared between database aliases. Rows still become model instances through
Django's own iterable with the first build's column map, related populators
and converters, so ``select_related`` and annotations behave as they do on a
fresh queryset; ``prefetch_related`` lookups run after, as they would (their
statements are not kept). ``PORTAL_STATEMENT_CACHE=false`` turns it off.

A kept statement's constants (ints, short texts: the reader's id and
organisation, statuses, limits) are written into its text once compiled;
only the slots stay parameters (``_inline``). It then runs prepared on the
server (``portal.db.prepared_statements``) unless it has a text slot (and
the caller does not say the texts leave the plan alone: a search's rows by
id) or the caller says not to (the search's scoped reads): each is a statement of one reader and call
site, and from its sixth run on the connection PostgreSQL uses its generic
plan — which sees the constants — instead of planning it again (0.5-3 ms a
statement, against well under 1 ms running it). psycopg keeps the 100 most
recently used per connection; past that a statement is prepared again, and
planned for its values as before.
"""

from __future__ import annotations

import copy
import datetime
import re
import threading
from collections import OrderedDict
from contextlib import nullcontext
from collections.abc import Callable, Hashable

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet, prefetch_related_objects
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesListIterable
from django.test.signals import setting_changed

from .scoping import scope_clock

# Without the setting. A searching reader keeps ~40 statements (a few query
# shapes of ~25 call sites), a reader of lists, dashboards and review pages a
# dozen more; a miss costs two stand-in builds, more than no cache, so the
# bound should hold the active readers': 4,096 entries, ~7 KB each on average
# at bench scale, ~30 MB per process at most.
MAX_ENTRIES = 4096
_INT32 = (-(2**31), 2**31 - 1)
_UNCACHEABLE = object()

_entries: OrderedDict = OrderedDict()
_lock = threading.Lock()


class _BuildQueried(Exception):
    pass


class _Template:
    """One compiled statement: its SQL, its constant parameters, where each
    slot value goes, and (rows) the compiler that maps its columns to models."""

    __slots__ = ("sql", "params", "slots", "compiler", "prefetch", "shape", "prepared")

    def __init__(self, sql: str, params: list, slots: list[tuple], compiler, prefetch: tuple, shape=None, prepared=False):
        self.sql, self.params, self.slots, self.compiler, self.prefetch = sql, params, slots, compiler, prefetch
        self.shape = shape  # values rows: (columns kept, flat)
        self.prepared = prepared  # no text slot: may run prepared on the server (see _prepared)

    def runs_prepared(self, prepared: bool, plan_ignores_texts: bool) -> bool:
        return prepared and (self.prepared or plan_ignores_texts)

    def _params(self, values: dict) -> list:
        params = list(self.params)
        for position, name, wrap, offset in self.slots:
            value = values[name] if offset is None else values[name] + offset
            params[position] = value if wrap is None else wrap(value)
        return params

    def rows(self, values: dict, using: str, prepared: bool = False) -> list:
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[using]  # connections are per thread
        sql, params = self.sql, self._params(values)
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        with _prepared(using, prepared):
            rows = list(ModelIterable(_Source(compiler, using)))
        if self.prefetch and rows:
            # Each lookup's own statement, as the queryset would have run it (not kept).
            prefetch_related_objects(rows, *self.prefetch)
        return rows

    def values(self, values: dict, using: str, prepared: bool = False) -> list:
        columns, flat = self.shape
        with _prepared(using, prepared), connections[using].cursor() as cursor:
            cursor.execute(self.sql, self._params(values))
            rows = cursor.fetchall()
        if flat:
            return [row[0] for row in rows]
        return [tuple(row[:columns]) for row in rows]

    def scalar(self, values: dict, using: str, prepared: bool = False):
        with _prepared(using, prepared), connections[using].cursor() as cursor:
            cursor.execute(self.sql, self._params(values))
            return cursor.fetchone()[0]

    def send(self, values: dict, batch, prepared: bool, in_turn: Callable[[], list]):
        """Sent ahead on ``batch`` (``portal.ahead``), run by ``in_turn`` where it cannot be."""
        from .db import may_prepare

        return batch.send(self.sql, self._params(values), prepared=prepared and may_prepare(batch.using), fallback=in_turn)

    def rows_of(self, fetched: list, using: str) -> list:
        """Model instances of rows read elsewhere (sent ahead), as ``rows`` makes them."""
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[using]
        compiler.execute_sql = lambda *args, **kwargs: [fetched]
        rows = list(ModelIterable(_Source(compiler, using)))
        if self.prefetch and rows:
            prefetch_related_objects(rows, *self.prefetch)
        return rows


def _prepared(using: str, prepared: bool):
    """Kept statements without a text slot run prepared on the server
    (``portal.db.prepared_statements``): their constants are in their text
    (``_inline``), so each is a statement of one reader and call site whose
    generic plan sees everything but the moment and the ids. One with a text
    (a search's words) is not: its best plan depends on how common the words
    are, which a generic plan cannot know (measured: a one-word search of a
    20-review reviewer 23 -> 129 ms prepared) — unless the caller says the
    texts only feed what is computed for rows found by id
    (``plan_ignores_texts``: a search's rows and headlines)."""
    if not prepared:
        return nullcontext()
    from .db import prepared_statements

    return prepared_statements(using)


class _Source:
    """What ``ModelIterable`` asks of a queryset, answered with a ready compiler."""

    def __init__(self, compiler, using: str):
        self.db = using
        self.query = self
        self.model = compiler.query.model
        self._compiler = compiler
        self._known_related_objects: dict = {}

    def get_compiler(self, using=None, connection=None):
        return self._compiler


def cached_rows(
    key: Hashable, build: Callable[..., QuerySet], *, using: str = "default", prepared: bool = True,
    plan_ignores_texts: bool = False, **values,
) -> list:
    """The rows of ``build(**values)``, a queryset of model instances, compiled
    once per ``key`` (see the module's docstring for what the key must name).
    ``values`` are ints, aware datetimes, texts passed to the statement as they
    are, or lists of ids (filtered with
    ``pk__any_of``, one text parameter on PostgreSQL); nothing else may vary between
    two calls with the same key. A value named ``now`` is also the moment the
    scoping judges grants at while ``build`` runs (``portal.scoping.scope_now``).

    ``prepared``: whether the kept statement may run prepared on the server
    (``_prepared``); False where its best plan depends on how many ids it is
    given or what they match (the search's scoped reads). A statement with a
    text slot runs prepared only with ``plan_ignores_texts``: its texts feed
    only what it computes for rows it finds by id (a search's headlines and
    ranks), never which rows or how they are found."""
    template = _template(key, build, values, using, _ROWS)
    if template is None:
        with scope_clock(values.get("now")):
            return list(build(**values))
    return template.rows(values, using, template.runs_prepared(prepared, plan_ignores_texts))


def cached_count(
    key: Hashable, build: Callable[..., QuerySet], *, using: str = "default", prepared: bool = True,
    plan_ignores_texts: bool = False, **values,
) -> int:
    """``build(**values).count()``, its statement compiled once per ``key`` (as ``cached_rows``)."""
    template = _template(key, build, values, using, _COUNT)
    if template is None:
        with scope_clock(values.get("now")):
            return build(**values).count()
    return template.scalar(values, using, template.runs_prepared(prepared, plan_ignores_texts))


def cached_values(
    key: Hashable, build: Callable[..., QuerySet], *, using: str = "default", prepared: bool = True,
    plan_ignores_texts: bool = False, **values,
) -> list:
    """The rows of ``build(**values)``, a ``values_list()`` queryset (tuples, or
    single values when ``flat``), compiled once per ``key`` (as ``cached_rows``;
    ``values`` may also hold texts, see ``_stand_ins``). Only columns the
    database returns as they are read (ids, texts, numbers: no converter) are
    kept; others are built every time."""
    template = _template(key, build, values, using, _VALUES)
    if template is None:
        with scope_clock(values.get("now")):
            return list(build(**values))
    return template.values(values, using, template.runs_prepared(prepared, plan_ignores_texts))


def cached_values_together(
    calls: list[tuple[Hashable, Callable[..., QuerySet]]], *, using: str = "default", **values,
) -> list[list] | None:
    """The rows of several ``cached_values`` calls sharing ``values``, each a
    flat ``values_list()`` of one column of ids, read in one statement (``UNION ALL``
    of the kept statements, each row tagged with its call's position): one
    round trip where each would take its own (a search's unscoped index
    reads, ``search.selectors.common.read_first``). Each part is the kept
    statement of its key, as ``cached_values`` would run it, unprepared.

    None when any part cannot be kept (the statement cache off, a build that
    reads the database, values that do not fit, several columns): the caller
    then asks each in turn."""
    templates = []
    for key, build in calls:
        template = _template(key, build, values, using, _VALUES)
        if template is None or template.shape != (1, True):
            return None
        templates.append(template)
    if not templates:
        return []
    sql = " UNION ALL ".join(f"SELECT {n}, id::bigint FROM ({t.sql}) part (id)" for n, t in enumerate(templates))
    params = [param for t in templates for param in t._params(values)]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found: list[list] = [[] for _ in templates]
    for position, value in rows:
        found[position].append(value)
    return found


class Ahead:
    """Kept statements sent ahead on a ``portal.ahead.Batch`` and read later:
    ``rows(...)`` and ``count(...)`` take what ``cached_rows`` and
    ``cached_count`` take and return a function giving what they would have
    returned. A call site that is not kept (or no read-ahead) runs in turn
    when its function is called, as the plain call would."""

    def __init__(self, batch):
        self.batch = batch

    def rows(self, key: Hashable, build: Callable[..., QuerySet], *, using: str = "default", prepared: bool = True,
             plan_ignores_texts: bool = False, **values) -> Callable[[], list]:
        return self._send(_ROWS, key, build, using, prepared, plan_ignores_texts, values)

    def count(self, key: Hashable, build: Callable[..., QuerySet], *, using: str = "default", prepared: bool = True,
              plan_ignores_texts: bool = False, **values) -> Callable[[], int]:
        return self._send(_COUNT, key, build, using, prepared, plan_ignores_texts, values)

    def _send(self, kind, key, build, using, prepared, plan_ignores_texts, values):
        plain = cached_rows if kind == _ROWS else cached_count
        in_turn = lambda: plain(key, build, using=using, prepared=prepared, plan_ignores_texts=plan_ignores_texts, **values)  # noqa: E731
        if using != self.batch.using:
            return in_turn
        template = _template(key, build, values, using, kind)
        if template is None:
            return in_turn
        marker = object()
        pending = template.send(values, self.batch, template.runs_prepared(prepared, plan_ignores_texts), lambda: marker)
        if not pending.ahead:
            return in_turn

        def result():
            fetched = pending.rows()
            if fetched is marker:  # its read failed: asked again in turn on the request's connection
                return in_turn()
            return template.rows_of(fetched, using) if kind == _ROWS else fetched[0][0]

        return result


def cache_clear(**kwargs) -> None:
    """Forget every kept statement (also on a settings change: a statement may be built from settings)."""
    with _lock:
        _entries.clear()


setting_changed.connect(cache_clear, dispatch_uid="portal.statements.cache_clear")


def entries() -> list[tuple[tuple, bool]]:
    """Every key held and whether its statement is kept compiled (tests and
    bench ask whether a call site is cached for the readers they expect)."""
    with _lock:
        return [(key, isinstance(template, _Template)) for key, template in _entries.items()]


_ROWS, _COUNT, _VALUES = "rows", "count", "values"


def _template(key, build, values: dict, using: str, kind: str) -> _Template | None:
    """The kept statement, compiled now if it is new; None: build it this time."""
    from django.conf import settings

    if not getattr(settings, "PORTAL_STATEMENT_CACHE", True) or not _fits(values):
        return None
    full_key = (using, kind, key, tuple(sorted(values)))
    with _lock:
        template = _entries.get(full_key)
        if template is not None:
            _entries.move_to_end(full_key)
    if template is None:
        template = _compile(build, values, using, kind)
        with _lock:
            _entries[full_key] = template
            bound = getattr(settings, "PORTAL_STATEMENT_CACHE_ENTRIES", MAX_ENTRIES)
            while len(_entries) > bound:
                _entries.popitem(last=False)
    return template if isinstance(template, _Template) else None


def _fits(values: dict) -> bool:
    """Ints within 32 bits; id lists not empty (Django answers an empty one with
    ``1 = 0``, another statement) and of ints only."""
    for value in values.values():
        if isinstance(value, list | tuple):
            if not value or not all(type(v) is int for v in value):
                return False
        elif isinstance(value, int) and not _INT32[0] <= value <= _INT32[1]:
            return False
    return True


def _csv(ids) -> str:
    """An id list as ``portal.db.AnyOf`` sends it to PostgreSQL: one text parameter."""
    return ",".join(str(int(v)) for v in ids)


# Two stand-ins per value, far apart in every component (a value truncated to
# the second, the hour or the day, or an id divided, still differs between the
# two builds and is refused) and spaced differently per name (an offset from
# one value cannot pass for another value).
_INT_BASE, _INT_STEP = (2_000_000_007, 1_000_000_013), (1_000, 1_003)
_TIME_BASE = (
    datetime.datetime(1901, 1, 1, 0, 0, 0, 1, tzinfo=datetime.UTC),
    datetime.datetime(1953, 7, 5, 13, 17, 19, 2, tzinfo=datetime.UTC),
)
_TIME_STEP = (datetime.timedelta(days=4000), datetime.timedelta(days=3000))


# A text is a slot only if the build passes it to the statement as it is: the
# two stand-ins differ in what a build could read from a text (length, case,
# spaces, quotes, a star, the word "or", a minus, what surrounds it), so a
# statement whose shape depends on the text (a search's phrase or prefix, a
# length check) or a text trimmed, cased or parsed is built differently from
# each and refused; what shapes it belongs in the key.
_TEXT = (' Slot{n} "Quoted words" star* OR -minus 0{n} ', '"{letter}')


def _stand_ins(values: dict, which: int) -> dict:
    out = {}
    for n, (name, value) in enumerate(sorted(values.items())):
        if isinstance(value, list | tuple):
            # An id list (``pk__any_of=ids``): two stand-in ids, so a list cut
            # short or reordered differs from the stand-in's text and is refused.
            out[name] = [_INT_BASE[which] + n * _INT_STEP[which], _INT_BASE[which] + n * _INT_STEP[which] + 7]
            continue
        if isinstance(value, str):
            out[name] = _TEXT[which].format(n=n, letter=chr(ord("a") + n % 26))
            continue
        if isinstance(value, bool) or not isinstance(value, int | datetime.datetime):
            raise TypeError(f"{name}: only ints, id lists, texts and datetimes are slots, not {type(value).__name__}")
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                raise TypeError(f"{name}: a naive datetime")
            out[name] = _TIME_BASE[which] + n * _TIME_STEP[which]
        else:
            out[name] = _INT_BASE[which] + n * _INT_STEP[which]
    return out


class _Captured(Exception):
    def __init__(self, sql, params):
        self.sql, self.params = sql, params


def _compile(build, values: dict, using: str, kind: str):
    first, second = _stand_ins(values, 0), _stand_ins(values, 1)
    connection = connections[using]

    attempted = []

    def refuse(execute, sql, params, many, context):
        attempted.append(sql)  # remembered too: a build may catch the exception and go on
        raise _BuildQueried(sql)

    def capture(execute, sql, params, many, context):
        raise _Captured(sql, params)

    def compiled(stand_ins):
        with scope_clock(stand_ins.get("now")), connection.execute_wrapper(refuse):
            queryset = build(**stand_ins)
            if kind in (_ROWS, _VALUES):
                compiler = queryset.query.get_compiler(using=using)
                return (*compiler.as_sql(), compiler, queryset)
        # A count: Django compiles it while it runs it; the statement is caught
        # on its way to the database instead.
        try:
            with scope_clock(stand_ins.get("now")), connection.execute_wrapper(capture):
                queryset.count()
        except _Captured as statement:
            return statement.sql, tuple(statement.params or ()), None, queryset
        raise EmptyResultSet  # answered without a statement: nothing to keep

    logged = len(connection.queries_log)
    try:
        sql_a, params_a, compiler_a, queryset = compiled(first)
        sql_b, params_b, _, _ = compiled(second)
    except (_BuildQueried, EmptyResultSet):
        return _UNCACHEABLE
    finally:
        # The query log (tests' query counts, DEBUG) notes a statement even when
        # a wrapper stops it: the ones stopped here never reached the database.
        while connection.queries_logged and len(connection.queries_log) > logged:
            connection.queries_log.pop()
    if attempted:
        return _UNCACHEABLE  # the build read the database (and carried on without the answer)
    if kind == _ROWS and queryset._iterable_class is not ModelIterable:
        return _UNCACHEABLE  # values(), values_list(): rows are not model instances
    shape = None
    if kind == _VALUES:
        shape = _values_shape(queryset, compiler_a)
        if shape is None:
            return _UNCACHEABLE
    if sql_a != sql_b or len(params_a) != len(params_b):
        return _UNCACHEABLE
    params, slots = list(params_a), []
    for position, (a, b) in enumerate(zip(params_a, params_b)):
        if type(a) is type(b) and a == b:
            if _carried(a, first, second):
                # One build's stand-in in both: the build reused a queryset built
                # before (a memo), so it would freeze whatever value that held.
                return _UNCACHEABLE
            continue  # a constant of this key
        slot = _slot(a, b, first, second)
        if slot is None:
            return _UNCACHEABLE  # derived from a value in a way we cannot replay, or read elsewhere
        slots.append((position, *slot))
    prefetch = tuple(queryset._prefetch_related_lookups) if kind == _ROWS else ()
    sql, params, slots = _inline(sql_a, params, slots)
    texts = any(isinstance(first[name], str) for _, name, _, _ in slots)
    return _Template(sql, params, slots, _slim(compiler_a) if kind == _ROWS else None, prefetch, shape, prepared=not texts)


_PLACEHOLDER = re.compile(r"%[s%]")
_INLINE_TEXT_MAX = 200


def _literal(value) -> str | None:
    """``value`` as SQL literal text, or None: left a parameter. Ints (not
    bools; psycopg's ``Int4``/``Int8`` wrappers too) and short texts (choices'
    members too) without a backslash or NUL: with standard-conforming
    strings a doubled quote is the only escape."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = int(value)
        return str(number) if number >= 0 else f"({number})"
    if isinstance(value, str):
        text = str.__str__(value)  # a TextChoices member's own text
        if len(text) <= _INLINE_TEXT_MAX and "\\" not in text and "\x00" not in text:
            return "'" + text.replace("'", "''") + "'"
    return None


def _inline(sql: str, params: list, slots: list[tuple]) -> tuple[str, list, list[tuple]]:
    """The statement with its constant ints and texts written into its text,
    and only the slots (and constants of other types) left as parameters,
    the slots' positions moved to match.

    Why: prepared on the server (``portal.db.prepared_statements``: the
    inbox, pages about one review), a statement whose constants are
    parameters gets a generic plan that cannot see them — the reader's id,
    the statuses, the agency — so PostgreSQL judged it worse than a plan made
    for the values at hand and planned every execution again (1-3 ms a
    statement, against 0.05-0.3 ms running it). With the constants in its
    text it is a statement of this reader and call site, its generic plan
    sees everything but the moment and the ids, and is chosen after the
    first five executions. Client-side binding is unchanged: the same values
    end up in the same text."""
    positions = {slot[0] for slot in slots}
    pieces, kept, moved = [], [], {}
    start, index = 0, 0
    for match in _PLACEHOLDER.finditer(sql):
        if match.group() == "%%":
            continue
        if index >= len(params):
            return sql, params, slots  # placeholders and parameters disagree: leave it as it is
        literal = None if index in positions else _literal(params[index])
        if literal is None:
            moved[index] = len(kept)
            kept.append(params[index])
        else:
            pieces += [sql[start : match.start()], literal.replace("%", "%%")]
            start = match.end()
        index += 1
    if index != len(params):
        return sql, params, slots
    pieces.append(sql[start:])
    return "".join(pieces), kept, [(moved[position], *rest) for position, *rest in slots]


def _values_shape(queryset, compiler) -> tuple[int, bool] | None:
    """(columns, flat) of a ``values_list()`` queryset whose rows are the
    database's columns as they come, in the order asked for; None otherwise
    (``values()`` dicts, named rows, a column with a converter, fields
    reordered around annotations)."""
    if queryset._iterable_class not in (ValuesListIterable, FlatValuesListIterable) or queryset._prefetch_related_lookups:
        return None
    query = queryset.query
    selected = [*query.extra_select, *query.values_select, *query.annotation_select]
    if queryset._fields and list(queryset._fields) != selected:
        return None
    columns = compiler.col_count
    if columns != len(selected) or compiler.get_converters([s[0] for s in compiler.select[:columns]]):
        return None
    return columns, queryset._iterable_class is FlatValuesListIterable


def _slim(compiler):
    """The compiler with only what turns rows into models (its column map, the
    model columns, the converters), not the query and expression trees it was
    compiled from (measured at bench scale: ~56 KB per kept statement with them,
    ~20 KB without).
    It keeps no connection either: each use takes its thread's."""
    model_columns = set()

    def collect(info):
        model_columns.update(info["select_fields"])
        for related in info.get("related_klass_infos", ()):
            collect(related)

    if compiler.klass_info:
        collect(compiler.klass_info)
    converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
    # Models are built from each column's field (``target``); the rest is SQL already written.
    compiler.select = [(_Column(s[0].target) if i in model_columns else None, None, None) for i, s in enumerate(compiler.select)]
    compiler.get_converters = lambda expressions: converters
    compiler.query = _Model(compiler.query.model)
    compiler.where = compiler.having = compiler.qualify = compiler.connection = None
    compiler.quote_cache = {}
    return compiler


class _Model:
    __slots__ = ("model",)

    def __init__(self, model):
        self.model = model


class _Column:
    __slots__ = ("target",)

    def __init__(self, target):
        self.target = target


_CARRIED_SPAN = datetime.timedelta(days=1000)  # "now - 30 days" from a stand-in is still one


def _carried(value, first: dict, second: dict) -> bool:
    """Whether ``value`` (equal in both builds) is one of the stand-ins, or a
    moment near one: it came from a build, not from the key."""
    for stand_ins in (first, second):
        for stand_in in stand_ins.values():
            if isinstance(stand_in, list):
                if value == _csv(stand_in) or value in stand_in:
                    return True
            elif isinstance(stand_in, datetime.datetime):
                if isinstance(value, datetime.datetime) and value.tzinfo and abs(value - stand_in) < _CARRIED_SPAN:
                    return True
            elif type(value) is type(stand_in) and value == stand_in:
                return True
    return False


def _slot(a, b, first: dict, second: dict):
    """(name, wrap, offset) when ``a`` and ``b`` are the same value's two stand-ins
    (a datetime: or the stand-ins moved by one fixed offset, ``now - 3 days``)."""
    if type(a) is not type(b):
        return None
    found = []
    for name, sa in first.items():
        sb = second[name]
        if isinstance(sa, list):
            # An id list reaches PostgreSQL as one text parameter (portal.db.AnyOf).
            if isinstance(a, str) and (a, b) == (_csv(sa), _csv(sb)):
                found.append((name, _csv, None))
            continue
        if not isinstance(a, type(sa)):
            continue
        if isinstance(sa, datetime.datetime):
            offset = a - sa
            if offset == b - sb:
                found.append((name, None, offset or None))
        elif (a, b) == (sa, sb):
            # The field may wrap the value (a bigint column's ``Int8``): wrap the next ones alike.
            found.append((name, None if type(a) is type(sa) else type(a), None))
    return found[0] if len(found) == 1 else None
