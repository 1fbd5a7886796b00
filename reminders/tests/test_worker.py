"""A real Celery worker, started by the test, against the real Redis broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from notifications.mail import _message_id
from notifications.models import Email, Notification
from reminders.models import Reminder
from reminders.services import reminders_run
from notifications.tasks import sweep_emails
from reminders.tasks import sweep_reminders
from reviews.models import Review
from reviews.tests.factories import assign, make_review

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
RULE = "Window ends in 3 days"


def _db_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    def __init__(self, queue: str, mail_dir: Path, log: Path, slow: float = 0.0):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": _db_url(),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "EMAIL_BACKEND": "reminders.tests.slow_email.SlowFileBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "SLOW_EMAIL_SECONDS": str(slow),
            # E-mail goes through the outbox's own task; a claim held by a killed
            # worker lapses a few seconds after the (short) hard limit.
            "PORTAL_EMAIL_EAGER": "false",
            "PORTAL_EMAIL_TASK_SOFT_LIMIT": "3",
            "PORTAL_EMAIL_TASK_HARD_LIMIT": "4",
            "PORTAL_EMAIL_CLAIM_MARGIN_SECONDS": "1",
            "PORTAL_EMAIL_SWEEP_GRACE_SECONDS": "0",
        }
        self.log = log
        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "-n", self.name, "--concurrency", "1",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []
    queue = f"portal-test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    def start(slow: float = 0.0) -> Worker:
        w = Worker(queue, mail_dir, tmp_path / f"worker-{len(started)}.log", slow=slow)
        started.append(w)
        return w

    start.queue = queue
    start.mail_dir = mail_dir
    yield start
    for w in started:
        w.stop()


def _review_due_now(extra_reviewers: int = 0):
    # The demo world's reminders that are due now go out first, here in the test
    # process (its locmem outbox, then forgotten), so what a worker sends below,
    # and every reminder left unsent, is this review's.
    from django.core import mail

    reminders_run()
    mail.outbox.clear()
    Notification.objects.filter(verb="reminder").delete()
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
    agency = AgencyFactory()
    admin = make_user(role=Role.PROGRAM_ADMIN)
    review = make_review(agencies=[agency], admin=admin)
    lead = make_user(role=Role.AGENCY_LEAD, org=agency)
    people = [lead]
    for _ in range(1 + extra_reviewers):
        reviewer = make_user(role=Role.AGENCY_REVIEWER, org=agency)
        assign(review, reviewer, lead=lead)
        people.append(reviewer)
    end = timezone.now() + timedelta(days=3) - timedelta(minutes=1)  # the 3-day reminder fell due a minute ago
    Review.objects.filter(pk=review.pk).update(window_start=end - timedelta(days=30), window_end=end)
    return review, people


def _messages(mail_dir: Path) -> list[tuple[str, str]]:
    """(To, Message-ID) of every message the file backend wrote, repeats included."""
    found = []
    for f in mail_dir.iterdir():
        # The file backend writes each message followed by a line of dashes.
        for message in f.read_text(errors="replace").split("-" * 79):
            headers = dict(
                line.split(": ", 1) for line in message.strip().split("\n\n", 1)[0].splitlines() if ": " in line
            )
            if "To" in headers:
                found.append((headers["To"].strip(), headers["Message-ID"].strip()))
    return found


def _mail_by_recipient(mail_dir: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for to, _ in _messages(mail_dir):
        counts[to] = counts.get(to, 0) + 1
    return counts


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_runs_the_sweep_and_sends(workers):
    review, people = _review_due_now()
    workers()
    sweep_reminders.apply_async(queue=workers.queue)
    _wait(lambda: Reminder.objects.filter(review=review, rule__name=RULE, sent_at__isnull=False).count() == len(people), 150, "delivery")
    assert _mail_by_recipient(workers.mail_dir) == {p.email: 1 for p in people}
    assert sorted(Notification.objects.filter(verb="reminder").values_list("recipient__email", flat=True)) == sorted(p.email for p in people)


def test_worker_killed_mid_sweep_and_restarted_sends_each_once(workers):
    review, people = _review_due_now(extra_reviewers=24)
    first = workers(slow=0.25)
    sweep_reminders.apply_async(queue=workers.queue)
    _wait(lambda: Reminder.objects.filter(review=review, sent_at__isnull=False).count() >= 3, 60, "some deliveries")
    first.kill()
    sent_before_kill = Reminder.objects.filter(review=review, sent_at__isnull=False).count()
    assert sent_before_kill < len(people), "the kill came too late to test anything"
    workers(slow=0.0)
    # The next periodic sweeps hand every undelivered row off again and offer every
    # e-mail whose claim lapsed; redelivered messages find nothing left to do.
    def swept():
        sweep_reminders.apply_async(queue=workers.queue)
        sweep_emails.apply_async(queue=workers.queue)
        time.sleep(1.5)
        return Reminder.objects.filter(sent_at__isnull=True).count() == 0

    _wait(swept, 90, "all deliveries")
    assert Reminder.objects.filter(review=review, rule__name=RULE).count() == len(people)
    # One e-mail per person. The kill may land in the one window the outbox
    # documents (the message written, the worker gone before recording it): that
    # one message, and no other, goes out again with its Message-ID, which
    # receiving systems use to drop the repeat.
    messages = _messages(workers.mail_dir)
    ids_by_person: dict[str, set[str]] = {}
    for to, message_id in messages:
        ids_by_person.setdefault(to, set()).add(message_id)
    assert ids_by_person == {p.email: {_message_id(Email.objects.get(to=p.email, kind="reminder"))} for p in people}
    assert len(people) <= len(messages) <= len(people) + 1
    per_person = Notification.objects.filter(verb="reminder").values_list("recipient_id", flat=True)
    assert sorted(per_person) == sorted(p.pk for p in people)


def test_two_sweeps_racing_send_once(db):
    review, people = _review_due_now(extra_reviewers=4)
    from django.core import mail
    from django.db import connections

    moment = timezone.now()
    mail.outbox.clear()
    errors = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            reminders_run(now=moment)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Reminder.objects.filter(review=review, rule__name=RULE).count() == len(people)
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0
    assert sorted(to for m in mail.outbox for to in m.to) == sorted(p.email for p in people)
