"""A web request's database statements are bounded (``PORTAL_WEB_STATEMENT_TIMEOUT``):
one that outlasts the bound is stopped by PostgreSQL, the person gets a page
saying so (503), a change it was saving is rolled back whole, and the
connection serves the next request. Workers and commands keep no bound.

A statement is made to outlast the bound deterministically: another
connection holds a lock the page's statement waits for (lock waits count
towards ``statement_timeout``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client

from audit.models import AuditEvent

BOUND_SECONDS = 0.4


@pytest.fixture
def bounded(transactional_db, demo, settings):
    """The bound on, and the request thread's connection opened again under it."""
    settings.PORTAL_WEB_STATEMENT_TIMEOUT = BOUND_SECONDS
    Client().handler.load_middleware()  # as a web process does before its first request: the receiver connected
    connection.close()
    yield
    connection.close()  # the next test's connection without the bound


def _client(user) -> Client:
    from journeys.browser import force_login_mfa

    client = Client(raise_request_exception=False)
    force_login_mfa(client, user)
    return client


def _timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_a_page_past_the_bound_says_it_took_too_long_and_the_next_request_is_answered(bounded, demo, caplog, lock_table):
    client = _client(demo["reviewer_nsa"])
    with lock_table("reviews_review", "ACCESS EXCLUSIVE"):
        response = client.get("/reviews/?sort=model")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "This page took too long" in body
    assert 'href="/reviews/?sort=model">Try again</a>' in body
    assert "more specific words" not in body  # the search's advice is for the search page
    assert any("statement stopped on GET /reviews/" in r.getMessage() for r in caplog.records)
    assert _timeout() == "400ms"  # the request's connection carries the bound
    # The lock gone, the same connection answers the page.
    response = client.get("/reviews/?sort=model")
    assert response.status_code == 200
    assert "Atlas-2 Mini" in response.content.decode()


def test_a_search_past_the_bound_advises_narrowing_and_json_clients_get_the_api_error(bounded, demo, lock_table):
    client = _client(demo["reviewer_nsa"])
    with lock_table("reviews_review", "ACCESS EXCLUSIVE"):
        page = client.get("/search/?q=atlas")
        api = client.get("/reviews/", HTTP_ACCEPT="application/json")
    assert page.status_code == 503
    assert "more specific words, or narrowed to one type" in page.content.decode()
    assert api.status_code == 503
    assert api.json() == {"errors": [{
        "field": None, "code": "timeout",
        "message": "The request took too long and was stopped; nothing it was changing was saved. Try again, or ask for less.",
    }]}


def test_a_change_stopped_by_the_bound_is_not_half_saved(bounded, demo, lock_table):
    user = demo["reviewer_nsa"]
    client = _client(user)
    events = AuditEvent.objects.count()
    # Reads of the audit table go on; its insert waits, past the bound.
    with lock_table("audit_auditevent", "EXCLUSIVE"):
        response = client.post("/accounts/keyboard/", {})
    assert response.status_code == 503
    assert "Try again" not in response.content.decode()  # a POST is not sent again from a link
    user.refresh_from_db()
    assert user.keyboard_shortcuts is True  # the setting's update rolled back with the audit insert
    assert AuditEvent.objects.count() == events
    response = client.post("/accounts/keyboard/", {})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.keyboard_shortcuts is False
    assert AuditEvent.objects.filter(action="user.keyboard_shortcuts", target_id=str(user.pk)).count() == 1


def test_every_connection_of_a_web_process_has_the_bound(bounded, parallel_reads, read_ahead):
    from portal import ahead, parallel

    def backend_and_bound():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), current_setting('statement_timeout'), pg_sleep(0.05)")
            return cursor.fetchone()[:2]

    seen = parallel.side_by_side(backend_and_bound, backend_and_bound, backend_and_bound)
    assert len({pid for pid, _ in seen}) == 3  # the pool's threads, each on its own connection
    assert [bound for _, bound in seen] == ["400ms"] * 3
    second = ahead._second_connection("default")
    with second.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "400ms"


def test_a_worker_or_command_keeps_no_bound_and_a_web_handler_sets_it(db):
    """In a process of its own: whether the bound applies depends on a request handler having loaded."""
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "def show():\n"
        "    with connection.cursor() as c:\n"
        "        c.execute('SHOW statement_timeout'); return c.fetchone()[0]\n"
        "print(show())\n"
        "from django.core.handlers.wsgi import WSGIHandler\n"
        "WSGIHandler(); connection.close()\n"
        "print(show())\n"
    )
    db = connection.settings_dict
    url = f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test", "DATABASE_URL": url, "PORTAL_WEB_STATEMENT_TIMEOUT": "7"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "7s"]


def test_a_search_stopped_on_a_pool_thread_leaves_every_connection_serving(bounded, parallel_reads, demo, lock_table, monkeypatch):
    """The search's kinds read side by side (portal.parallel): the questions'
    thread messages (read by that kind alone, on its pool thread, inside its
    read-only transaction) locked, its statement is stopped there and the
    page answers 503; the next search on the same threads and connections
    finds what it finds, the bound still on each."""
    from portal import parallel
    from portal.outage import stopped_statement

    outcomes = []
    real = parallel._outcome
    monkeypatch.setattr(parallel, "_outcome", lambda future: outcomes.append(real(future)) or outcomes[-1])
    client = _client(demo["reviewer_nsa"])
    with lock_table("rfis_rfimessage", "ACCESS EXCLUSIVE"):
        stopped = client.get("/search/?q=atlas")
    assert stopped.status_code == 503 and "This page took too long" in stopped.content.decode()
    assert [stopped_statement(error) for _, error in outcomes].count(True) == 1  # stopped aside, on a pool thread
    after = client.get("/search/?q=atlas")
    assert after.status_code == 200
    assert f'href="/reviews/{demo["atlas_mini"].pk}/"' in after.content.decode()

    def bound():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout'), pg_sleep(0.05)")
            return cursor.fetchone()[0]

    assert parallel.side_by_side(bound, bound, bound) == ["400ms"] * 3
