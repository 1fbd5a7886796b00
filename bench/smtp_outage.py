"""Benchmark: issue 15's SMTP outage, at full length, with the production retry schedule.

    .venv/bin/python -m bench smtp-outage [--seconds 150] [--people 18] [--reviews 20]

On a database of its own (``portal_bench_mail``, created and dropped here;
one bench did not make is refused) with the demo data plus ``--reviews``
reviews whose 3-day reminder fell due a minute ago, each with the same
``--people`` reviewers and a lead: many reminder rows per person, as in the
run that lost 2,319 reminders for 18 people. A real Celery worker (prefork,
two processes, on Redis) sends through a local SMTP server (aiosmtpd, on a
port the kernel picks) that is down (connection refused) from just before the
sweep for ``--seconds``. The mail settings are production's: EMAIL_TIMEOUT
20 s, retries after 30 s, 60 s, 120 s … capped at 600 s.

Prints reminders due / sent / lost / missed / failed, how many e-mails the
server received and how many of those repeated a Message-ID (duplicates),
the attempts made, and the seconds from recovery to the last delivery.
It is a benchmark, not a test; the suite runs the same scenario with the
schedule and the outage scaled down (notifications/tests/test_delivery_worker.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "portal_bench_mail"

SETUP = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import Role, User
from accounts.tests.factories import make_user
from agencies.models import Agency
from reviews.models import Review
from reviews.tests.factories import assign, make_review
agency = Agency.objects.get(acronym="CISA")
admin = User.objects.get(email="admin@portal.example")
lead = User.objects.get(email="lead.cisa@agency.example")
people = [make_user(role=Role.AGENCY_REVIEWER, org=agency) for _ in range({people})]
end = timezone.now() + timedelta(days=3) - timedelta(minutes=1)
for i in range({reviews}):
    review = make_review(agencies=[agency], admin=admin)
    for person in people:
        assign(review, person, lead=lead)
    Review.objects.filter(pk=review.pk).update(window_start=end - timedelta(days=30), window_end=end)
print("ready")
"""

COUNTS = """
SELECT
  (SELECT count(*) FROM reminders_reminder),
  (SELECT count(*) FROM reminders_reminder WHERE sent_at IS NOT NULL),
  (SELECT count(*) FROM reminders_reminder WHERE missed_at IS NOT NULL),
  (SELECT count(*) FROM reminders_reminder WHERE failed_at IS NOT NULL),
  (SELECT count(DISTINCT recipient_id) FROM reminders_reminder),
  (SELECT count(*) FROM notifications_email WHERE sent_at IS NULL AND failed_at IS NULL AND missed_at IS NULL),
  (SELECT count(*) FROM notifications_email WHERE kind = 'reminder'),
  (SELECT coalesce(sum(attempts), 0) FROM notifications_email WHERE kind = 'reminder'),
  (SELECT count(*) FROM notifications_email WHERE sent_at IS NOT NULL)
"""


def run(emit, *, seconds: int = 150, people: int = 18, reviews: int = 20) -> None:
    sys.path.insert(0, str(ROOT))
    from notifications.tests.support import SmtpServer

    from .db import drop_database, fresh_database, server_url

    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    queue = f"bench-mail-{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="portal-bench-mail-"))
    smtp = SmtpServer().start()
    env = {
        **os.environ,
        # The test settings module: PostgreSQL, Redis as broker, a queue of our own.
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": server_url(DB_NAME),
        "TEST_REDIS_URL": redis,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "PORTAL_EMAIL_EAGER": "false",
        # Production's mail settings (portal/settings/base.py), not the suite's.
        "EMAIL_TIMEOUT": "20",
        "PORTAL_EMAIL_RETRY_BASE_SECONDS": "30",
        "PORTAL_EMAIL_RETRY_MAX_SECONDS": "600",
        "PORTAL_EMAIL_SWEEP_GRACE_SECONDS": "120",
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    fresh_database(DB_NAME)
    worker = None
    try:
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env={**env, "PORTAL_EMAIL_EAGER": "true"}, check=True, stdout=subprocess.DEVNULL)
        started = time.monotonic()
        subprocess.run([python, "manage.py", "shell", "--no-imports", "-c", SETUP.format(people=people, reviews=reviews)],
                       cwd=ROOT, env={**env, "PORTAL_EMAIL_EAGER": "true"}, check=True, stdout=subprocess.DEVNULL)
        emit("setup.seconds", f"{time.monotonic() - started:.0f}", "s")
        log = work / "worker.log"
        worker = subprocess.Popen(
            [python, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "-n", f"{queue}@localhost", "--concurrency", "2",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        time.sleep(5)
        smtp.stop()  # the outage begins: connections are refused
        outage = time.monotonic()
        subprocess.run([python, "manage.py", "shell", "--no-imports", "-c",
                        "from reminders.tasks import sweep_reminders; sweep_reminders.delay()"], cwd=ROOT, env=env, check=True)

        def counts():
            with psycopg.connect(server_url(DB_NAME), autocommit=True) as conn:
                return conn.execute(COUNTS).fetchone()

        while time.monotonic() - outage < seconds:
            time.sleep(5)
        during = counts()
        emit("outage.seconds", seconds, "s")
        emit("outage.reminders_due", during[0], "")
        emit("outage.reminder_recipients", during[4], "people")
        emit("outage.reminder_emails_attempts", during[7], "")
        emit("outage.reminders_failed_or_missed", during[2] + during[3], "")
        smtp.start()
        recovered = time.monotonic()
        deadline = recovered + 600 + 120
        while time.monotonic() < deadline:
            now = counts()
            if now[0] and now[5] == 0 and now[0] == now[1] + now[2] + now[3]:
                break
            time.sleep(2)
        after = counts()
        last = time.monotonic() - recovered
        messages = smtp.box.messages
        ids = [m["Message-ID"] for m in messages]
        emit("reminders.due", after[0], "")
        emit("reminders.sent", after[1], "")
        emit("reminders.lost", after[0] - after[1], "")
        emit("reminders.missed", after[2], "")
        emit("reminders.failed", after[3], "")
        emit("reminder_emails", after[6], "(one per person)")
        emit("reminder_emails.attempts", after[7], "")
        emit("emails.sent", after[8], "")
        emit("smtp.received", len(messages), "messages")
        emit("smtp.duplicated", len(ids) - len(set(ids)), "messages")
        emit("recovery_to_last_delivery", f"{last:.0f}", "s")
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, 15)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, 9)
        smtp.stop()
        drop_database(DB_NAME)
