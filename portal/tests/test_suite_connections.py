"""The suite's own database plumbing: a test keeps one connection.

The browser journeys drive Chromium through Playwright's sync API, which
keeps an event loop running in the test's thread for the rest of the worker's
session. Django stores a thread's connections per context while a loop runs
in it (asgiref's thread-critical ``Local``), so the test thread would get a
second connection there: outside the test's transaction and never closed by
pytest-django. A main-thread session idle after its ROLLBACK was ended with a
warning before the test database's drop (``conftest._close_stray_sessions``)
in three CI runs in a row; none since connections are kept per thread."""

from __future__ import annotations

import asyncio

import pytest
from django.db import connections

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_test_thread_keeps_its_connection_while_an_event_loop_runs(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as journeys/tests/conftest.py sets it
    User.objects.create_user(email="loop@example.test", password="a-long-enough-password")  # in the test's transaction
    before = connections["default"]
    backend = before.connection.info.backend_pid

    async def while_a_loop_runs():
        return connections["default"], User.objects.filter(email="loop@example.test").exists()

    during, seen = asyncio.run(while_a_loop_runs())
    assert during is before
    assert during.connection.info.backend_pid == backend
    assert seen, "the query ran outside the test's transaction"
    assert connections["default"] is before
