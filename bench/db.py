"""The benchmark's own database: created by ``seed``, never anyone else's.

A marker table proves the database was made here; every scenario refuses a
database without it, and every scenario but ``seed`` refuses one whose seed
did not finish.
"""

from __future__ import annotations

import os
import sys
import urllib.parse

import psycopg

BENCH_DB = os.environ.get("BENCH_DATABASE_NAME", "portal_bench")
MARKER = "bench_marker"


def server_url(dbname: str = "postgres") -> str:
    raw = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    parts = urllib.parse.urlparse(raw)
    return urllib.parse.urlunparse(parts._replace(path="/" + dbname))


def _exists() -> bool:
    with psycopg.connect(server_url(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone() is not None


def _marker_state() -> str | None:
    """None: no marker (not ours); 'seeding' or 'seeded'."""
    with psycopg.connect(server_url(BENCH_DB), autocommit=True) as conn:
        has = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER]).fetchone()[0]
        if not has:
            return None
        row = conn.execute(f"SELECT state FROM {MARKER}").fetchone()
        return row[0] if row else None


def refuse(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr)
    raise SystemExit(2)


def prepare_for_seed() -> None:
    """Creates the database (or reuses one this tool made) and marks it 'seeding'."""
    if _exists():
        if _marker_state() is None:
            refuse(f"database {BENCH_DB!r} exists and was not created by bench; refusing to touch it")
        with psycopg.connect(server_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    with psycopg.connect(server_url(BENCH_DB), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {MARKER} (state text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
        conn.execute(f"INSERT INTO {MARKER} (state) VALUES ('seeding')")


def fresh_database(name: str) -> None:
    """Creates ``name`` empty for a scenario that builds its own data
    (upload/download), re-creating one that bench made before and refusing
    one it did not (no marker table)."""
    with psycopg.connect(server_url(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
    if exists:
        with psycopg.connect(server_url(name), autocommit=True) as conn:
            ours = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER]).fetchone()[0]
        if not ours:
            refuse(f"database {name!r} exists and was not created by bench; refusing to touch it")
        drop_database(name)
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(server_url(name), autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {MARKER} (state text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
        conn.execute(f"INSERT INTO {MARKER} (state) VALUES ('scratch')")


def drop_database(name: str) -> None:
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mark_seeded() -> None:
    with psycopg.connect(server_url(BENCH_DB), autocommit=True) as conn:
        conn.execute(f"UPDATE {MARKER} SET state = 'seeded'")


def require_seeded() -> None:
    if not _exists():
        refuse("no benchmark database yet: run `python -m bench seed` first")
    state = _marker_state()
    if state is None:
        refuse(f"database {BENCH_DB!r} was not created by bench; refusing to touch it")
    if state != "seeded":
        refuse("the last `python -m bench seed` did not finish: run it again first")


def warm() -> float | None:
    """Reads every table, index and TOAST table of the bench database into the
    operating system's cache (``pg_prewarm``'s ``read`` mode), and returns the
    seconds it took; None where the extension is missing (then nothing is read).

    Right after a seed, or on a machine just started, most of the 3.7 GB is on
    disk: the first run of ``pages`` or ``search`` waited on it (floor p95
    14-35 ms against 4-6 ms warm, on 2026-12-05), and its ratios said more
    about the disk than the code. Warm, this takes a few seconds."""
    import time

    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_prewarm'")
        if cursor.fetchone() is None:
            return None
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT count(pg_prewarm(c.oid, 'read')) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'i', 't', 'm') AND n.nspname IN ('public', 'pg_toast') AND c.relpersistence = 'p'"
        )
    return round(time.perf_counter() - started, 1)
