"""Compiled statements kept per process for the hottest point reads.

A page about one review starts with one statement (``reviews.selectors.
review_page_get``): the review, the reader's standing on it in seven
correlated EXISTS and, on the review's own page, the apps' counts. Django
builds and compiles that queryset anew on every request — ~20 ms of a ~60 ms
page at bench scale, against ~1 ms running it prepared. What changes from one
request to the next of the same reader is two values: the review's id and
"now" (the grants' expiry). ``cached_rows`` compiles the statement once per
call site and reader, finds where those values sit among its parameters, and
afterwards only fills them in.

What makes it safe, checked when a statement is first compiled (anything
unexpected and the call site is simply built and compiled every time, as
before):

* The statement is built twice, with two different sets of stand-in values
  (ids no row has, datetimes long past). The two SQL texts must be equal and
  every parameter must either be equal in both builds (a constant of this
  reader: their id, their agency …) or be exactly one of the stand-ins in
  both (a slot). A parameter derived from a value (``now - 3 days``, a
  ``timezone.now()`` read inside instead of the ``now`` passed in) matches
  neither and the call site is not cached.
* Building must not touch the database: a value read at build time (a group
  membership, a setting row) would be frozen into the statement. A build that
  runs a query is not cached.
* The key names everything else the build reads. Callers put in it every
  attribute of the reader their scoping reads (id, role, organisation,
  active); a reader whose role or organisation changes gets a new key, and a
  grant added or revoked changes rows, not the statement.
* Integer slot values outside the 32-bit range (an id from a URL) go the
  uncached way, where Django answers "no rows" without asking the database.

Entries are bounded (least recently used dropped) and never shared between
database aliases. Rows still become model instances through Django's own
iterable with the first build's compiler (its column map, related
populators and converters), so ``select_related`` and annotations behave as
they do on a fresh queryset; ``prefetch_related`` lookups run after, as
they would (their statements are not kept).
"""

from __future__ import annotations

import copy
import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet, prefetch_related_objects
from django.db.models.query import ModelIterable

MAX_ENTRIES = 2048
_INT32 = (-(2**31), 2**31 - 1)
_UNCACHEABLE = object()

_entries: OrderedDict = OrderedDict()
_lock = threading.Lock()


class _BuildQueried(Exception):
    pass


class _Template:
    """One compiled statement: its SQL, its constant parameters, where each
    slot value goes, and the compiler that maps its columns to models."""

    __slots__ = ("sql", "params", "slots", "compiler", "prefetch")

    def __init__(self, sql: str, params: list, slots: list[tuple], compiler, prefetch: tuple):
        self.sql, self.params, self.slots, self.compiler, self.prefetch = sql, params, slots, compiler, prefetch

    def rows(self, values: dict, using: str) -> list:
        params = list(self.params)
        for position, name, wrap in self.slots:
            params[position] = values[name] if wrap is None else wrap(values[name])
        compiler = copy.copy(self.compiler)
        compiler.connection = connections[using]  # connections are per thread
        sql = self.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        rows = list(ModelIterable(_Source(compiler, using)))
        if self.prefetch and rows:
            # Each lookup's own statement, as the queryset would have run it (not kept).
            prefetch_related_objects(rows, *self.prefetch)
        return rows


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


def cached_rows(key: Hashable, build: Callable[..., QuerySet], *, using: str = "default", **values) -> list:
    """The rows of ``build(**values)``, a queryset of model instances, compiled
    once per ``key`` (see the module's docstring for what the key must name).
    ``values`` are ints or aware datetimes; nothing else may vary between
    two calls with the same key."""
    from django.conf import settings

    if not getattr(settings, "PORTAL_STATEMENT_CACHE", True):
        return list(build(**values))
    full_key = (using, key, tuple(sorted(values)))
    with _lock:
        template = _entries.get(full_key)
        if template is not None:
            _entries.move_to_end(full_key)
    if template is None:
        template = _compile(build, values, using)
        with _lock:
            _entries[full_key] = template
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
    if template is _UNCACHEABLE or not _fits(values):
        return list(build(**values))
    return template.rows(values, using)


def cache_clear() -> None:
    with _lock:
        _entries.clear()


def entries() -> list[tuple[tuple, bool]]:
    """Every key held and whether its statement is kept compiled (tests and
    bench ask whether a call site is cached for the readers they expect)."""
    with _lock:
        return [(key, isinstance(template, _Template)) for key, template in _entries.items()]


def _fits(values: dict) -> bool:
    return all(not isinstance(v, int) or _INT32[0] <= v <= _INT32[1] for v in values.values())


def _stand_ins(values: dict, which: int) -> dict:
    out = {}
    for n, (name, value) in enumerate(sorted(values.items())):
        if isinstance(value, bool) or not isinstance(value, int | datetime.datetime):
            raise TypeError(f"{name}: only ints and datetimes are slots, not {type(value).__name__}")
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                raise TypeError(f"{name}: a naive datetime")
            out[name] = datetime.datetime(1901, 1, 1 + n, 0, 0, 0, 1 + which, tzinfo=datetime.UTC)
        else:
            out[name] = 2_147_000_000 + 2 * n + which  # in range of every integer field but the small ones
    return out


def _compile(build, values: dict, using: str):
    first, second = _stand_ins(values, 0), _stand_ins(values, 1)
    connection = connections[using]

    def refuse(execute, sql, params, many, context):
        raise _BuildQueried(sql)

    try:
        with connection.execute_wrapper(refuse):
            queryset = build(**first)
            compiler_a = queryset.query.get_compiler(using=using)
            sql_a, params_a = compiler_a.as_sql()
            sql_b, params_b = build(**second).query.get_compiler(using=using).as_sql()
    except (_BuildQueried, EmptyResultSet):
        return _UNCACHEABLE
    if queryset._iterable_class is not ModelIterable:
        return _UNCACHEABLE  # values(), values_list(): rows are not model instances
    if sql_a != sql_b or len(params_a) != len(params_b):
        return _UNCACHEABLE
    stand_ins = {name: (first[name], second[name]) for name in values}
    params, slots = list(params_a), []
    for position, (a, b) in enumerate(zip(params_a, params_b)):
        if type(a) is type(b) and a == b:
            continue  # a constant of this key
        names = [name for name, pair in stand_ins.items() if (a, b) == pair and isinstance(a, type(pair[0]))]
        if len(names) != 1 or type(a) is not type(b):
            return _UNCACHEABLE  # derived from a value, or a value read elsewhere
        # The field may wrap the value (a bigint column's ``Int8``): wrap the next ones alike.
        slots.append((position, names[0], None if type(a) is type(first[names[0]]) else type(a)))
    return _Template(sql_a, params, slots, compiler_a, tuple(queryset._prefetch_related_lookups))
