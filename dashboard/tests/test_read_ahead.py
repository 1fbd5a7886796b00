"""A dashboard sends its inbox's statements ahead on the request thread's
second connection (``portal.ahead``) before it reads its table: for every
demo role the page shows the inbox it shows read in turn, its statements
ran on the other connection, and a section fuller or emptier than when it
was last read comes out right that way too."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import DEMO_ROLES
from dashboard import inbox
from portal import ahead

pytestmark = pytest.mark.django_db(transaction=True)


def _shown(box):
    if box is None:
        return None
    return (
        [(s.key, s.heading, s.count, s.items) for s in box.sections],
        box.stopped_count,
        box.stopped_clocks,
    )


@pytest.fixture
def sent(sent_ahead):
    return sent_ahead


def _dashboard(client, login, user):
    login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_every_roles_dashboard_sends_its_inbox_ahead_and_shows_what_it_shows_in_turn(demo, read_ahead, client, login, sent, role):
    user = demo[role]
    for visit in range(2):  # the second through the kept statements, and overflows remembered
        sent.clear()
        response, logged = _dashboard(client, login, user)
        expected = inbox.inbox_for(user, now=response.context["inbox"].now) if response.context["inbox"] else None
        assert _shown(response.context["inbox"]) == _shown(expected), (role, visit)
        if expected is None:  # no role: nothing to send
            assert sent == []
            continue
        assert sent, role
        # The office's burn-down and a liaison's first models go ahead too, and come out as read in turn.
        user_charts = response.context.get("charts")
        if user.is_program_admin:
            from dashboard.charts import office_charts

            assert any('"active_total"' in sql for sql in sent)
            drawn = [(c.key, c.rows, c.table, c.note) for c in user_charts]
            assert drawn == [(c.key, c.rows, c.table, c.note) for c in office_charts(user=user, now=response.context["inbox"].now)]
        if user.is_company_liaison:
            from companies.selectors import model_list_first

            assert any('FROM "companies_aimodel"' in sql for sql in sent)
            assert response.context["models"] == model_list_first(user=user, limit=10 + 1)[:10]
        # Each statement sent ahead shows once in the page's log, marked; none ran again here.
        marked = [sql for sql in logged if sql.endswith("]") and " -- ahead " in sql]
        assert [sql.split(" -- ahead ")[0] for sql in marked] == sent
        assert not any(sql in logged for sql in sent)


def test_a_section_fuller_or_emptier_than_last_read_comes_out_right_ahead(demo, read_ahead, client, login, sent, monkeypatch):
    """Which statement a section sends depends on what it held last time
    (``dashboard.inbox._overflowed``); when it now holds more, its second
    statement is sent ahead too, after the first is read."""
    user = demo["lead_nsa"]
    monkeypatch.setattr(inbox, "_overflowed_keys", type(inbox._overflowed_keys)())
    for limit in (50, 1, 1, 50):  # room for all; overflowing, learnt; overflowing, remembered; room again
        monkeypatch.setattr(inbox, "LIMIT", limit)
        sent.clear()
        response, _ = _dashboard(client, login, user)
        box = response.context["inbox"]
        assert _shown(box) == _shown(inbox.inbox_for(user, now=box.now)), limit
        assert sent
    assert any(s.count > 1 for s in box.sections)  # the world has sections of more than one row


def test_without_read_ahead_the_dashboard_reads_its_inbox_in_turn(demo, read_ahead, client, login, sent, settings):
    settings.PORTAL_READ_AHEAD = False
    user = demo["lead_nsa"]
    response, logged = _dashboard(client, login, user)
    assert sent == [] and not any(" -- ahead " in sql for sql in logged)
    assert _shown(response.context["inbox"]) == _shown(inbox.inbox_for(user, now=response.context["inbox"].now))
    assert response.context["inbox"].sections


def test_a_dashboard_whose_second_connection_died_reads_its_inbox_in_turn(demo, read_ahead, client, login, sent, monkeypatch):
    monkeypatch.setattr(ahead, "RETRY_SECONDS", 0)
    user = demo["admin"]
    _dashboard(client, login, user)
    pid = ahead._local.wrapper.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    response, _ = _dashboard(client, login, user)
    assert _shown(response.context["inbox"]) == _shown(inbox.inbox_for(user, now=response.context["inbox"].now))
    # The next page has a new second connection and sends ahead again.
    sent.clear()
    _dashboard(client, login, user)
    assert sent and ahead._local.wrapper.connection.info.backend_pid != pid


def test_the_inbox_read_ahead_is_the_inbox_at_its_moment(demo, read_ahead):
    """``inbox_ahead`` and ``inbox_for`` at the same moment agree for every role, read outside a page."""
    now = timezone.now()
    for role in DEMO_ROLES:
        started = inbox.inbox_ahead(demo[role], now=now)
        got = started.result() if started is not None else None
        assert _shown(got) == _shown(inbox.inbox_for(demo[role], now=now)), role
