"""The database goes away while the mail server accepts an e-mail (a PostgreSQL restart
during delivery): the outbox waits it out and records the e-mail sent, so the sweep
never sends it again (issue 15's fault run found it sent twice).

Real faults: the SMTP server (aiosmtpd, started by the test) terminates the delivering
connection's PostgreSQL backend (``pg_terminate_backend``) just before it answers 250.
"""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from notifications.mail import Outcome, email_build, email_deliver, email_sweep
from notifications.models import Email
from notifications.tests.support import db_url

pytestmark = pytest.mark.django_db(transaction=True)


def _terminate_backend_before_answering(box, pid: int) -> list[bool]:
    terminated: list[bool] = []
    accept = box.handle_DATA

    async def handle_DATA(server, session, envelope):
        answer = await accept(server, session, envelope)
        with psycopg.connect(db_url(connection), autocommit=True, connect_timeout=5) as admin:
            terminated.append(admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0])
        return answer

    box.handle_DATA = handle_DATA
    return terminated


def test_email_accepted_while_the_database_restarts_is_recorded_sent_once(smtp_server):
    email = email_build(to="person@example.test", subject="Deadline", body="Act on it.", kind="test")
    email.save()
    connection.ensure_connection()
    terminated = _terminate_backend_before_answering(smtp_server.box, connection.connection.info.backend_pid)

    assert email_deliver(email_id=email.pk).outcome == Outcome.SENT
    assert terminated == [True]  # the connection that claimed the e-mail died while the server had it
    email.refresh_from_db()
    assert email.state == "sent" and email.attempts == 1 and email.claimed_until is None
    # Long after its claim would have expired, nothing is owed: the e-mail is not sent again.
    assert email_sweep(now=email.sent_at + timedelta(hours=1)) == {"queued": 0, "missed": 0}
    assert smtp_server.box.by_recipient() == {"person@example.test": 1}
    assert Email.objects.filter(pk=email.pk, sent_at__isnull=False).count() == 1
