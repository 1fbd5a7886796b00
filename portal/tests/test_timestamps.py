"""``timestamptz`` values are read with psycopg's C parser on UTC connections
(``portal.db.fast_utc_timestamps``): every value must be the datetime Django's
own loader gives — same instant, same ``tzinfo`` object — and any other
session time zone keeps Django's loader."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, connections
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from portal.db import fast_utc_timestamps
from reviews.models import Review

pytestmark = pytest.mark.django_db

TIMESTAMPTZ = 1184
SAMPLES = (
    "'2026-03-08 01:59:59.5-05'",  # a negative offset with a fraction
    "'1999-12-31 23:59:59.999999+00'",
    "'2026-12-03 10:00:00+05:30'",  # an offset in minutes
    "'0045-01-01 00:00:00+00'",  # a short year
    "NULL",
)


def _loader(conn):
    return conn.connection.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)


def _read(conn):
    with conn.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"{s}::timestamptz" for s in SAMPLES))
        return cursor.fetchone()


def test_timestamps_read_by_the_c_parser_equal_djangos(demo):
    connection.ensure_connection()
    assert _loader(connection).__name__ == "UtcTimestampLoader"
    fast = _read(connection)
    stored = {r.pk: (r.created_at, r.window_end) for r in Review.objects.order_by("pk")}

    register_tzloader(connection.timezone, connection.connection)  # Django's own, on this connection
    assert _loader(connection).__name__ == "SpecificTzLoader"
    slow = _read(connection)
    assert fast == slow
    assert fast[0] == datetime.datetime(2026, 3, 8, 6, 59, 59, 500000, tzinfo=datetime.UTC) and fast[-1] is None
    assert all(value.tzinfo is datetime.timezone.utc for value in fast[:-1])
    assert {r.pk: (r.created_at, r.window_end) for r in Review.objects.order_by("pk")} == stored
    assert any(end is not None for _, end in stored.values())
    fast_utc_timestamps(None, connection)  # back to the C parser for the next test on this connection
    assert _loader(connection).__name__ == "UtcTimestampLoader"


def test_timestamps_keep_djangos_loader_on_another_session_time_zone():
    other = connections.create_connection("default")
    try:
        other.ensure_connection()
        assert _loader(other).__name__ == "UtcTimestampLoader"  # connection_created installed it
        register_tzloader(other.timezone, other.connection)
        with other.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'America/New_York'")
        fast_utc_timestamps(None, other)
        assert _loader(other).__name__ == "SpecificTzLoader"
    finally:
        other.close()
