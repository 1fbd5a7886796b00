"""Delivery through a real Celery worker (Redis broker, the test database) to a real
SMTP server the test controls: an outage, a hanging server, a slow one.

One worker serves the whole module. Its retry schedule is scaled down (1 s,
2 s, 2 s …) and so is the outage (``PORTAL_TEST_SMTP_OUTAGE_SECONDS``, 6 s
here): several failed attempts, then recovery — the same shape as the
150-second outage of issue 15 with the production schedule (30 s, 60 s,
120 s …), which ``python -m bench smtp-outage`` runs at full length.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from notifications.mail import DELIVER_TASK, email_queue
from notifications.models import Email
from reminders.models import Reminder
from reminders.tasks import sweep_reminders
from reviews.models import Review
from reviews.tests.factories import assign, make_review
from rfis.models import InformationRequest

from .support import CeleryWorker, SmtpServer, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

OUTAGE_SECONDS = float(os.environ.get("PORTAL_TEST_SMTP_OUTAGE_SECONDS", "6"))
EMAIL_TIMEOUT = 2
SOFT_LIMIT = 3


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup, smtp, tmp_path_factory):
    from portal.celery import app

    queue = f"portal-test-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue  # what this process queues goes to this worker only
    # Celery puts a registered task's time limits into the message it sends, and
    # they win over the worker's: once any test has imported notifications.tasks
    # here, this process's (production-length) limits would travel with every
    # e-mail. Give the task here the limits the worker runs with.
    from notifications.tasks import deliver_email

    limits = deliver_email.soft_time_limit, deliver_email.time_limit
    deliver_email.soft_time_limit, deliver_email.time_limit = SOFT_LIMIT, 8
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT),
        "PORTAL_EMAIL_EAGER": "false",
        "PORTAL_EMAIL_RETRY_BASE_SECONDS": "1",
        "PORTAL_EMAIL_RETRY_MAX_SECONDS": "2",
        "PORTAL_EMAIL_TASK_SOFT_LIMIT": str(SOFT_LIMIT),
        "PORTAL_EMAIL_TASK_HARD_LIMIT": "8",
        "PORTAL_EMAIL_CLAIM_MARGIN_SECONDS": "1",
        "PORTAL_EMAIL_SWEEP_GRACE_SECONDS": "0",
    }
    w = CeleryWorker(queue=queue, log=tmp_path_factory.mktemp("worker") / "worker.log", env=env, concurrency=2)
    yield w
    w.stop()
    app.conf.task_default_queue = previous
    deliver_email.soft_time_limit, deliver_email.time_limit = limits


@pytest.fixture(autouse=True)
def through_the_worker(worker, smtp, settings):
    """This process queues (no in-process delivery); the server starts each test healthy and empty."""
    settings.PORTAL_EMAIL_EAGER = False
    smtp.start()
    smtp.hanging = False
    smtp.box.slow = 0.0
    smtp.box.defer = None
    smtp.box.messages.clear()
    yield


def _review_due_now(people: int):
    agency = AgencyFactory()
    admin = make_user(role=Role.PROGRAM_ADMIN)
    review = make_review(agencies=[agency], admin=admin)
    lead = make_user(role=Role.AGENCY_LEAD, org=agency)
    reviewers = []
    for _ in range(people):
        reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)
        assign(review, reviewer, lead=lead)
        reviewers.append(reviewer)
    end = timezone.now() + timedelta(days=3) - timedelta(minutes=1)  # the 3-day reminder fell due a minute ago
    Review.objects.filter(pk=review.pk).update(window_start=end - timedelta(days=30), window_end=end)
    return review, lead, reviewers


def _unsent():
    return Email.objects.filter(sent_at__isnull=True)


def test_smtp_outage_then_recovery_delivers_everything_exactly_once(smtp, worker, login):
    from portal.celery import app

    from django.db.models import Max

    # The demo world's e-mails were sent while it was seeded; this test counts its own
    # (the sweep also reminds the demo's people: theirs are counted too, once each).
    before = Email.objects.aggregate(last=Max("pk"))["last"] or 0
    smtp.stop()  # the outage begins: connections are refused
    outage_started = time.monotonic()
    review, lead, reviewers = _review_due_now(people=4)
    liaison = review.company.liaisons_group.user_set.get()

    # A reviewer asks the company a question during the outage: the page answers success.
    reviewer = reviewers[0]
    client = login(reviewer, accept_terms_for=[review])
    response = client.post(reverse("review_rfis", kwargs={"pk": review.pk}), {"subject": "Endpoint credentials", "question": "They fail."})
    rfi = InformationRequest.objects.get(review=review, subject="Endpoint credentials")
    assert response.status_code == 302 and response["Location"] == reverse("rfi_detail", kwargs={"pk": rfi.pk})

    sweep_reminders.apply_async()
    people = [lead, *reviewers]
    wait_for(lambda: Reminder.objects.filter(review=review, email__isnull=False).count() == len(people), 30, "reminders handed to the outbox")
    # Every e-mail also queued a few more times (a sweep, a redelivered message): still sent once.
    for pk in _unsent().values_list("pk", flat=True):
        for _ in range(3):
            app.send_task(DELIVER_TASK, args=[pk])
    wait_for(lambda: not _unsent().filter(attempts__lt=2).exists(), 30, "every e-mail to fail at least twice")
    assert not Email.objects.filter(failed_at__isnull=False).exists() and not Email.objects.filter(missed_at__isnull=False).exists()
    assert set(Reminder.objects.filter(review=review).values_list("sent_at", flat=True)) == {None}
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))

    smtp.start()  # recovery
    wait_for(lambda: not _unsent().exists(), 30, "every e-mail after recovery")

    emails = list(Email.objects.filter(pk__gt=before))
    messages = smtp.box.messages
    assert len(messages) == len(emails)
    assert len({m["Message-ID"] for m in messages}) == len(emails)  # no duplicates
    assert max(e.attempts for e in emails) >= 3
    rows = Reminder.objects.filter(review=review).select_related("recipient")
    assert sorted(r.recipient.email for r in rows if r.state == "sent") == sorted(p.email for p in people)
    reminder_mail = [
        m for m in messages if "the review window ends in 3 days" in str(m["Subject"]) and str(review) in str(m["Subject"])
    ]
    assert sorted(str(m["To"]) for m in reminder_mail) == sorted(p.email for p in people)
    (question,) = [m for m in messages if str(m["To"]) == liaison.email and "Endpoint credentials" in str(m["Subject"])]
    assert f"http://testserver/rfis/{rfi.pk}/" in smtp.box.body(question)


def test_a_hanging_server_releases_the_worker_within_the_timeout(smtp, worker):
    smtp.hanging = True  # accepts connections, never says hello
    smtp.hung_connections = 0
    with transaction.atomic():
        hung = email_queue(to="hung@example.test", subject="Hello", body="Body", kind="test")
    wait_for(lambda: smtp.hung_connections == 1, 10, "the worker to connect")  # and wait for a greeting now
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        assert cur.fetchone()[0] == 0, "a transaction is open while the worker talks to the mail server"
    with transaction.atomic():
        Email.objects.select_for_update(nowait=True).get(pk=hung.pk)  # not locked either
    started = time.monotonic()
    wait_for(lambda: Email.objects.get(pk=hung.pk).attempts == 1 and Email.objects.get(pk=hung.pk).last_error, EMAIL_TIMEOUT + 4, "the attempt to give up")
    assert time.monotonic() - started < EMAIL_TIMEOUT + 4
    assert "timed out" in Email.objects.get(pk=hung.pk).last_error

    # A server that answers, but too slowly for the task's soft time limit.
    smtp.hanging = False
    smtp.box.slow = 1.2  # each reply well within EMAIL_TIMEOUT, all three (EHLO, MAIL, RCPT) past the soft limit
    with transaction.atomic():
        slow = email_queue(to="slow@example.test", subject="Hello", body="Body", kind="test")
    # The worker runs one task at a time and the first e-mail's retry may reach the
    # slow server first: allow for two attempts cut off by the soft limit.
    wait_for(lambda: "time limit" in Email.objects.get(pk=slow.pk).last_error, 30, "the soft time limit")
    smtp.box.slow = 0.0
    wait_for(lambda: not _unsent().exists(), 20, "both e-mails once the server behaves")
    assert smtp.box.by_recipient() == {"hung@example.test": 1, "slow@example.test": 1}
    assert "Hard time limit" not in worker.output()
