"""Fixtures shared by every app's tests: demo world, logged-in clients, TOTP."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import cache

# One TOTP enrolment helper for the suite and `manage.py screenshots`.
from journeys.browser import force_login_mfa, give_totp  # noqa: F401  (tests import them from here)


def _name_connection(sender, connection, **kwargs) -> None:
    """Each test connection says whose it is (xdist worker, process, thread) in
    ``application_name``, so a session left open at the end names its owner
    (``_close_stray_sessions``). Straight on psycopg's connection: not a
    statement the tests' query counts see."""
    import threading

    if connection.vendor == "postgresql":
        name = f"pytest {os.environ.get('PYTEST_XDIST_WORKER', 'main')} pid {os.getpid()} {threading.current_thread().name}"
        given = connection.settings_dict.get("OPTIONS", {}).get("application_name") or ""
        if given.endswith(" read-ahead"):  # portal.ahead's second connection says so, as in production
            name = f"{name[:52]} read-ahead"
        connection.connection.execute("SELECT set_config('application_name', %s, false)", [name[:63]])
        # The test (and phase) that opened it, which a name of 63 characters cannot hold.
        _OPENED_BY[connection.connection.info.backend_pid] = os.environ.get("PYTEST_CURRENT_TEST", "outside any test")


_OPENED_BY: dict[int, str] = {}  # backend pid -> the test that opened the connection


def pytest_configure(config):
    import threading

    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.connect(_name_connection, dispatch_uid="conftest.name_connection")
    # Connections strictly per thread, as in a WSGI process. Django keeps them
    # in asgiref's thread-critical Local, which switches to per-context storage
    # while an event loop runs in the thread — and Playwright's sync API (the
    # journeys) keeps one running in the test's thread for the rest of the
    # worker's session. The test thread then got a second connection, outside
    # its test's transaction and never closed (portal/tests/test_suite_connections.py).
    # The suite runs no async code of its own that would need per-context ones.
    connections.close_all()
    connections._connections = threading.local()


def pytest_collection_modifyitems(config, items):
    """Tests that read a module's world built once (``module_rollback``: the
    plan-shape module's tenth-scale bench set, 50-70 s to seed; the query
    counts' 50-review worlds; the API matrix's additions) go first, each
    module's together. Under ``--dist worksteal`` the first worker's share
    runs from its start and is only ever stolen from its end, so each such
    module runs on one worker, in one stretch, and its world is built once.
    Anywhere else in the order, part of a module could be stolen by the other
    worker, which then built the same world again (the plan-shape set was
    seeded on both, ~60 s of the suite's CPU). Otherwise the order is pytest's."""
    shared = [item for item in items if "module_rollback" in getattr(item, "fixturenames", ())]
    if shared:
        items[:] = shared + [item for item in items if "module_rollback" not in getattr(item, "fixturenames", ())]


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate limits and used TOTP codes live in the (real, Redis) cache.
    cache.clear()
    yield
    cache.clear()


# The demo world is built once per test database (session) and every test
# runs in a transaction on top of it (rolled back), so a test that only reads
# it, or changes it, pays nothing for it. Its stored files live here and are
# copied into each test's own media folder.
_DEMO_MEDIA: list[Path] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.core.management import call_command
    from django.test import override_settings

    from django.core import mail

    from portal.celery import app

    media = tmp_path_factory.mktemp("demo-media")
    # Tasks the seed queues after its commit run here, not in a worker a later test starts.
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
            call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    finally:
        app.conf.task_always_eager = eager
    mail.outbox = []
    _DEMO_MEDIA[:] = [media]
    with django_db_blocker.unblock():
        _DEMO_ROWS[:] = _snapshot_tables()
    _install_restore_teardown()
    yield
    with django_db_blocker.unblock():
        _close_stray_sessions()


def _close_stray_sessions() -> None:
    """Before pytest-django drops the test database: close the pool threads'
    connections, then name and end any other session still on it (a thread
    or process a test started and did not close), which would otherwise make
    the drop fail and leave the database behind ("is being accessed by other
    users"). Named in a warning, so the test that leaks it can be found."""
    import warnings

    from django.db import connection

    from portal import ahead, parallel

    parallel.close_connections()
    ahead.close_connections()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, backend_start, left(query, 300) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        stray = cursor.fetchall()
        for pid, application, state, started, query in stray:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            warnings.warn(
                f"A session was left on {connection.settings_dict['NAME']} and was ended before the drop: pid {pid} "
                f"({application or 'no application name'}, {state}, connected at {started:%H:%M:%S} by {_OPENED_BY.get(pid, 'an unknown test')}); "
                f"its last statement: {query}",
                pytest.PytestWarning, stacklevel=1,
            )
    connection.close()


# The seeded world's rows, table by table (PostgreSQL's binary COPY), taken once
# per session. A test that commits for real (``transactional_db``, ``live_server``)
# ends with the database put back to exactly these rows (same ids) instead of
# Django's flush: TRUNCATE of ~80 tables costs seconds per test on this
# machine, and the next test asking for ``demo`` would have had to run
# ``seed_demo`` again on the emptied database.
_DEMO_ROWS: list[tuple[str, bytes]] = []


def _restore_instead_of_flush(self):
    from django.db import connection

    if not _DEMO_ROWS or self.available_apps is not None or self.serialized_rollback:
        return _flush_after_transactional_test(self)
    try:
        _restore_tables(_DEMO_ROWS)
    except Exception:  # a test that killed its own backend (database-outage tests)
        connection.close()
        _restore_tables(_DEMO_ROWS)


def _install_restore_teardown():
    from django.test import TransactionTestCase

    global _flush_after_transactional_test
    if TransactionTestCase._fixture_teardown is not _restore_instead_of_flush:
        _flush_after_transactional_test = TransactionTestCase._fixture_teardown
        TransactionTestCase._fixture_teardown = _restore_instead_of_flush


def _snapshot_tables() -> list[tuple[str, bytes]]:
    from django.db import connection

    rows = []
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        for table in sorted(connection.introspection.django_table_names(only_existing=True, include_views=False)):
            data = bytearray()
            with cursor.copy(f'COPY "{table}" TO STDOUT (FORMAT BINARY)') as copy:
                for chunk in copy:
                    data += chunk
            rows.append((table, bytes(data)))
    return rows


def _restore_tables(rows: list[tuple[str, bytes]]) -> None:
    """Every Django table back to the snapshot: emptied, then copied in with
    triggers and foreign-key checks off (the audit trail's append-only trigger
    would refuse the deletion; rows arrive in table order, not dependency
    order). Content types get their seeded ids back, so the process's cache of
    them is dropped."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            for table, _ in rows:
                # Not TRUNCATE: on tables this small, a DELETE is many times cheaper.
                cursor.execute(f'DELETE FROM "{table}"')
            for table, data in rows:
                with cursor.copy(f'COPY "{table}" FROM STDIN (FORMAT BINARY)') as copy:
                    copy.write(data)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_inbox_overflow():
    """Each test starts as a new process would: no inbox section remembered
    as overflowing (``dashboard.inbox._overflowed``), so a section's statement
    count does not depend on which tests ran before on the worker."""
    from dashboard import inbox

    inbox._overflowed_keys.clear()
    yield


@pytest.fixture
def empty_statement_cache():
    """No kept statement from an earlier test (``portal.statements``): a test
    that asks what was kept sees only its own."""
    from portal import statements

    statements.cache_clear()
    yield
    statements.cache_clear()


@contextmanager
def persistent_connections():
    """Connections persist as in production (``CONN_MAX_AGE``), so
    ``portal.parallel`` may read side by side and ``portal.ahead`` send
    ahead; the pool's and the second connections are closed on the way out,
    before the test's database is put back."""
    from django.db import connection

    from portal import ahead, parallel

    before = connection.settings_dict.get("CONN_MAX_AGE")
    connection.settings_dict["CONN_MAX_AGE"] = 60  # every thread's connection of the alias reads this dict
    try:
        yield parallel
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = before
        parallel.close_connections()
        ahead.close_connections()


@pytest.fixture
def parallel_reads(transactional_db, settings):
    """Reads side by side as in production (``portal.parallel``): committed
    rows, persistent connections, a pool of three."""
    settings.PORTAL_PARALLEL_READS = 3
    with persistent_connections() as parallel:
        yield parallel


@pytest.fixture
def read_ahead(transactional_db, settings):
    """Statements sent ahead as in production (``portal.ahead``): committed
    rows, persistent connections, read-ahead on."""
    from portal import ahead

    settings.PORTAL_READ_AHEAD = True
    with persistent_connections():
        yield ahead


@pytest.fixture
def sent_ahead(monkeypatch):
    """The SQL of every statement ``portal.ahead`` sent on a second connection
    (not those it left to run in turn), in order; clear it between pages."""
    from portal import ahead

    seen: list[str] = []
    real = ahead.Batch.send

    def spy(self, sql, params, **kwargs):
        pending = real(self, sql, params, **kwargs)
        if pending.ahead:
            seen.append(sql)
        return pending

    monkeypatch.setattr(ahead.Batch, "send", spy)
    return seen


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    root = tmp_path / "media"
    if _DEMO_MEDIA and _DEMO_MEDIA[0].exists():
        shutil.copytree(_DEMO_MEDIA[0], root, dirs_exist_ok=True)
    settings.MEDIA_ROOT = str(root)


@pytest.fixture
def demo(db, django_db_blocker):
    """The demo world of DESIGN.md, built by ``seed_demo``; a dict of its objects.

    Present from the session's start (``django_db_setup``); a test that
    flushes the database (``transactional_db``, ``live_server``) gets the
    session's rows back here (``_restore_tables``)."""
    return demo_objects()


def demo_objects() -> dict:
    """The demo world's objects (``demo``), for a module-scoped fixture too
    (inside ``module_rollback``): its rows put back first if they are gone."""
    from django.core.management import call_command
    from django.db.models import F

    from accounts.models import User
    from agencies.models import Agency
    from companies.models import Company
    from reviews.models import Review

    if not Review.objects.filter(model__name="Atlas-2 Mini").exists():
        if _DEMO_ROWS:
            _restore_tables(_DEMO_ROWS)
        else:
            call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    # Users as a request has them: membership and organisation loaded with the user
    # (accounts.backends.PortalAuthenticationBackend), so a page or service costs what it does live.
    # One statement per model (most tests ask for the demo: 15 lookups were ~20 ms of each).
    users = _one_each(User.objects.select_related("membership__agency", "membership__company"), "email", DEMO_USERS.values())
    # (The model's name as an annotation: a review as ``get()`` gives it, no model cached on it.)
    named = Review.objects.annotate(demo_model_name=F("model__name"))
    reviews = _one_each(named, "model__name", DEMO_REVIEWS.values(), key=lambda r: r.demo_model_name)
    agencies = _one_each(Agency.objects.all(), "acronym", DEMO_AGENCIES.values())
    companies = _one_each(Company.objects.all(), "slug", DEMO_COMPANIES.values())
    return {
        **{name: users[email] for name, email in DEMO_USERS.items()},
        **{name: reviews[model] for name, model in DEMO_REVIEWS.items()},
        **{name: agencies[acronym] for name, acronym in DEMO_AGENCIES.items()},
        **{name: companies[slug] for name, slug in DEMO_COMPANIES.items()},
    }


DEMO_USERS = {
    "admin": "admin@portal.example",
    "lead_nsa": "lead.nsa@agency.example",
    "lead_cisa": "lead.cisa@agency.example",
    "reviewer_nsa": "reviewer.nsa@agency.example",
    "reviewer_cisa": "reviewer.cisa@agency.example",
    "liaison_northwind": "liaison@northwind.example",
    "liaison_contoso": "liaison@contoso.example",
}
DEMO_REVIEWS = {"atlas": "Atlas-2", "helix": "Helix-1", "atlas_mini": "Atlas-2 Mini"}  # by model name
DEMO_AGENCIES = {"nsa": "NSA", "cisa": "CISA", "dod": "DOD"}
DEMO_COMPANIES = {"northwind": "northwind", "contoso": "contoso"}


def _one_each(qs, field: str, values, key=None) -> dict:
    """The rows of ``qs`` whose ``field`` is one of ``values``, by that value:
    exactly one each, as ``get()`` would insist."""
    values = list(values)
    found: dict = {}
    for row in qs.filter(**{f"{field}__in": values}):
        value = key(row) if key else getattr(row, field)
        assert value not in found, f"more than one {qs.model.__name__} with {field}={value!r}"
        found[value] = row
    missing = [value for value in values if value not in found]
    assert not missing, f"no {qs.model.__name__} with {field} in {missing}"
    return found


@pytest.fixture(scope="module")
def module_rollback(django_db_setup, django_db_blocker):
    """One transaction around a module's tests, rolled back after the last one.

    Data a module's tests only read (a 50-review world, a seeded bench set) is
    built once in a module-scoped fixture that requests this one; each test's
    own transaction (``db``) is a savepoint inside it, so what a test changes
    is still undone after that test. The suite runs such modules first, each
    in one stretch on one worker (``pytest_collection_modifyitems``), so the
    data is built once per run.

    After the rollback the tables' statistics are read again: an ``ANALYZE``
    of the module's data (the seeded bench set's is) leaves its row counts in
    ``pg_class`` whatever the rollback undoes, and the next tests on the worker
    would be planned for tables thousands of rows larger than they are."""
    from django.db import connection, transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")


@pytest.fixture
def fresh_shared_review(demo):
    """A submitted Northwind review that NSA and CISA share and nobody is assigned to yet
    (the demo's Atlas-2 Mini is already in review with both agencies' reviewers)."""
    from companies.tests.factories import AIModelFactory

    from reviews.tests.factories import make_review

    model = AIModelFactory(company=demo["northwind"], name="Atlas-3 Preview")
    return make_review(
        company=demo["northwind"], agencies=[demo["nsa"], demo["cisa"]], status="submitted",
        liaison=demo["liaison_northwind"], model=model,
    )


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that this process's mail goes to;
    ``.box`` holds what it accepted and how it fails (notifications/tests/support.py)."""
    from notifications.tests.support import SmtpServer

    server = SmtpServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.EMAIL_TIMEOUT = 1
    yield server
    server.stop()


DEMO_ROLES = list(DEMO_USERS)  # the demo's people by role key, in that order


def totp_now(secret: str) -> str:
    """The code an authenticator app would show for ``secret`` right now —
    never in a step's last two seconds: allauth accepts the current step only
    (no tolerance), and a code read at :29.9 and checked at :30.0 is refused
    (one suite run in a few hundred failed that way)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    left = 30 - time.time() % 30
    if left < 2:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def login(client):
    """``login(user)`` → a test client signed in as ``user`` with MFA enrolled."""

    def _login(user, *, accept_terms_for=()):
        from reviews.services import terms_accept

        force_login_mfa(client, user)
        for review in accept_terms_for:
            terms_accept(review=review, user=user)
        return client

    return _login


@pytest.fixture
def lock_table(transactional_db):
    """``lock_table(table, mode)``: a context manager holding ``table`` locked in
    ``mode`` from another session until its block ends — or for 10 s at
    most, so that a page waiting on it is answered then and the test fails
    rather than hangs. A statement made to outlast a bound deterministically
    (lock waits count towards ``statement_timeout``)."""
    import threading

    import psycopg
    from django.db import connection

    @contextmanager
    def locked(table: str, mode: str):
        params = connection.get_connection_params()
        with psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port", "password")}) as other:
            other.execute(f'LOCK TABLE "{table}" IN {mode} MODE')
            release = threading.Timer(10, other.rollback)
            release.start()
            try:
                yield
            finally:
                release.cancel()
                other.rollback()

    return locked


@pytest.fixture(scope="session")
def embedded_database(tmp_path_factory) -> Path:
    """The run command's embedded default (SQLite) migrated once per test run
    and shared by the xdist workers (a lock in their common folder): a test
    that starts an instance of its own copies it (``embedded_copy``) instead
    of migrating again (~20 s each on the 2-core VM). Only the schema and what
    migrations write (post_migrate's rules, criteria, categories) are in it."""
    import fcntl

    from portal.tests.test_settings_and_seed import _manage, local_env

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    target = shared / "embedded-migrated.sqlite3"
    with open(shared / "embedded-migrated.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            build = shared / "embedded-build"
            build.mkdir(exist_ok=True)
            result = _manage("migrate", "--noinput", "-v", "0", env=local_env(build, PORTAL_DEMO_MODE="true"))
            assert result.returncode == 0, result.stderr[-3000:]
            _sqlite_copy(build / "portal.sqlite3", shared / "embedded-migrated.part")
            (shared / "embedded-migrated.part").rename(target)
    return target


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database in WAL mode (its backup API: the file alone may lack the log's pages)."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@pytest.fixture
def embedded_copy(embedded_database):
    """``embedded_copy(folder)``: the migrated embedded database copied to ``folder/portal.sqlite3`` (``local_env``'s file)."""

    def _copy(folder: Path) -> Path:
        _sqlite_copy(embedded_database, folder / "portal.sqlite3")
        return folder / "portal.sqlite3"

    return _copy
