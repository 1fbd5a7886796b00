"""Compiled statements kept per process (``portal.statements``): a cached call
site answers exactly what a fresh queryset answers, and anything the cache
cannot prove is a parameter is compiled every time instead."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency
from agencies.tests.factories import AgencyFactory
from portal import statements

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    statements.cache_clear()
    yield
    statements.cache_clear()


def _cached(key) -> bool:
    held = dict(statements.entries())
    return held[next(k for k in held if k[1] == key)]


def test_cached_rows_fill_in_each_calls_values():
    first, second = AgencyFactory(), AgencyFactory()

    def build(*, pk: int, now):
        return Agency.objects.filter(pk=pk, created_at__lte=now).select_related("leads_group").annotate(marker=Value(7))

    now = timezone.now()
    assert [a.acronym for a in statements.cached_rows("one", build, pk=first.pk, now=now)] == [first.acronym]
    assert _cached("one")
    with CaptureQueriesContext(connection) as queries:
        rows = statements.cached_rows("one", build, pk=second.pk, now=now)
    assert [a.acronym for a in rows] == [second.acronym]
    assert len(queries) == 1 and str(second.pk) in queries[0]["sql"]
    # Related rows and annotations come back as a fresh queryset gives them.
    assert rows[0].leads_group.name == second.leads_group.name and rows[0].marker == 7
    with CaptureQueriesContext(connection) as queries:
        rows[0].leads_group  # noqa: B018  (loaded with the row)
    assert len(queries) == 0
    # "now" is a parameter too: a moment before the row existed finds nothing.
    before = second.created_at - datetime.timedelta(seconds=1)
    assert statements.cached_rows("one", build, pk=second.pk, now=before) == []


def test_cached_rows_with_a_value_derived_inside_the_build_are_compiled_every_time():
    agency = AgencyFactory()

    def build(*, now):
        return Agency.objects.filter(pk=agency.pk, created_at__gt=now - datetime.timedelta(days=1))

    now = timezone.now()
    assert [a.pk for a in statements.cached_rows("derived", build, now=now)] == [agency.pk]
    assert not _cached("derived")
    assert statements.cached_rows("derived", build, now=now + datetime.timedelta(days=2)) == []


def test_cached_rows_whose_build_reads_the_database_are_compiled_every_time():
    """A value read while building (here: which agencies exist) would be frozen
    into the statement: the next call must see a row added since."""
    first = AgencyFactory()  # the factory's acronyms start with AG; the demo's do not

    def build(*, now):
        ids = list(Agency.objects.filter(acronym__startswith="AG").values_list("pk", flat=True))
        return Agency.objects.filter(pk__in=ids, created_at__lte=now).order_by("pk")

    assert [a.pk for a in statements.cached_rows("reads", build, now=timezone.now())] == [first.pk]
    assert not _cached("reads")
    second = AgencyFactory()
    assert [a.pk for a in statements.cached_rows("reads", build, now=timezone.now())] == [first.pk, second.pk]


def test_cached_rows_with_an_id_out_of_the_integer_range_answer_nothing():
    agency = AgencyFactory()

    def build(*, pk: int):
        return Agency.objects.filter(pk=pk)

    assert [a.pk for a in statements.cached_rows("range", build, pk=agency.pk)] == [agency.pk]
    assert _cached("range")
    assert statements.cached_rows("range", build, pk=2**40) == []
    assert statements.cached_rows("range", build, pk=-(2**40)) == []


def test_cached_rows_refuse_values_that_cannot_be_parameters():
    with pytest.raises(TypeError, match="naive"):
        statements.cached_rows("naive", lambda *, now: Agency.objects.all(), now=datetime.datetime(2026, 1, 1))
    with pytest.raises(TypeError, match="name: only ints and datetimes"):
        statements.cached_rows("text", lambda *, name: Agency.objects.filter(acronym=name), name="NSA")


def test_cached_rows_are_off_with_the_setting(settings):
    settings.PORTAL_STATEMENT_CACHE = False
    agency = AgencyFactory()
    rows = statements.cached_rows("off", lambda *, pk: Agency.objects.filter(pk=pk), pk=agency.pk)
    assert [a.pk for a in rows] == [agency.pk]
    assert statements.entries() == []


def test_cached_rows_keep_at_most_max_entries(monkeypatch):
    monkeypatch.setattr(statements, "MAX_ENTRIES", 3)
    agency = AgencyFactory()
    for n in range(5):
        statements.cached_rows(("bounded", n), lambda *, pk: Agency.objects.filter(pk=pk), pk=agency.pk)
    assert [key[1] for key, _ in statements.entries()] == [("bounded", 2), ("bounded", 3), ("bounded", 4)]
