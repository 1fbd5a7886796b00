"""python -m bench faults: the fault scenarios of issue 15 against the prod-like topology.

It starts prodlike's topology (prodlike/topology.py: nginx, two gunicorn, two
Celery workers, beat, Redis, clamd, S3 on moto, a counting SMTP server) on
ports 18320-18329, with a PostgreSQL cluster of its own (initdb in a
temporary folder, so that it can be restarted; the machine's server is never
touched) and the web servers' temporary folder on a 16 MiB tmpfs (the full
disk). The data: seed_demo plus 1 % of the bench seed (1,000 reviews, 200
people), every review's window ending in 7 days less an hour, so that the
sweep owes each reviewer and lead the 7-day reminder. Beat sweeps every 10
seconds (its PeriodicTask is changed for the run).

Each scenario starts from no reminder rows, lets the fault happen while beat
sweeps and the workers deliver, recovers, waits (bounded) until nothing is
owed any more, and prints what the outbox rows (notifications.Email, every
e-mail's one record) and the counting SMTP server (each message's Message-ID
names its outbox row) say:

    faults.<scenario>.due            reminders the sweep owes (a dry-run sweep before the scenario)
    faults.<scenario>.recorded       reminder rows the sweeps wrote
    faults.<scenario>.people         people owed at least one reminder
    faults.<scenario>.reminder_emails  outbox e-mails carrying them (one per person and hand-over)
    faults.<scenario>.sent           reminder rows marked sent
    faults.<scenario>.emailed        reminder rows whose e-mail reached the SMTP server
    faults.<scenario>.duplicated     reminder rows whose e-mail reached it more than once (+ extra arrivals)
    faults.<scenario>.lost           due − emailed: owed and not delivered — given up on (failed_rows, missed_rows)
                                     or still unsent when the bound ran out (unsent_at_bound, 180 s after recovery)
    faults.<scenario>.people_complete  people who received every reminder owed to them
    faults.<scenario>.other_emails   the users' actions' e-mails (RFI notifications): owed / arrived / duplicated / lost
    faults.<scenario>.user_errors    5xx answers to the user actions made during the scenario (unavailable_503: of those, 503s)
    faults.<scenario>.html_500_to_json   of those, HTML pages sent to a JSON (API) client
    faults.<scenario>.orphan_files   stored objects no version names (+ files left in the web servers' temporary folder)

User actions during every scenario (a thread, every 2 s): an API client asks
an RFI (JSON; its notifications are e-mailed) and a browser-like client signs
in through the login form. Counts are bounded; the whole run takes about
25 minutes. Targets: 0 lost, 0 duplicated, 0 orphan files, 0 HTML 500s to
JSON clients.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

SCENARIOS = (
    "smtp_refusing", "smtp_hanging", "worker_kill_sweep", "worker_kill_delivery", "two_beats", "redis_restart",
    "postgres_restart_upload", "disk_full",
)
SWEEP_EVERY = 10  # seconds, for the run
SETTLE = 180  # seconds at most for everything owed to arrive after a recovery
OUTBOX_ID = re.compile(r"<outbox-(\d+)-")  # notifications.mail's Message-ID names the outbox row


class Actions(threading.Thread):
    """The users: an RFI asked through the API and a sign-in through the form, every two seconds."""

    def __init__(self, topology, token: str, review_id: int, secret: str):
        super().__init__(daemon=True)
        self.topology, self.token, self.review_id, self.secret = topology, token, review_id, secret
        self.stop = threading.Event()
        self.statuses: Counter = Counter()
        self.errors = 0
        self.unavailable = 0
        self.html_500_to_json = 0
        self.n = 0

    def run(self):
        from prodlike.checks import Client, api

        while not self.stop.is_set():
            self.n += 1
            try:
                status, headers, _ = api(self.topology, self.token, "POST", "/api/v1/rfis/", json_body={
                    "review": self.review_id, "subject": f"Fault run question {self.n}", "question": "Which evaluation set?",
                })
                self._count("api", status, headers)
                client = Client(self.topology)
                client.get("/accounts/login/")
                status, headers, _, _ = client.request(
                    "POST", "/accounts/login/",
                    data=f"login=reviewer.nsa%40agency.example&password=wrong-{self.n}&csrfmiddlewaretoken={client.csrf()}".encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": self.topology.url},
                )
                self._count("page", status, headers)
            except Exception:  # a refused connection is a user-visible error too
                self.errors += 1
                self.statuses["connection"] += 1
            self.stop.wait(2)

    def _count(self, kind, status, headers):
        self.statuses[f"{kind} {status}"] += 1
        if status >= 500:
            self.errors += 1
            self.unavailable += status == 503
            if kind == "api" and "text/html" in (headers.get("Content-Type") or ""):
                self.html_500_to_json += 1


class Run:
    def __init__(self, emit, only: tuple[str, ...] = ()):
        self.emit = emit
        self.only = only or SCENARIOS
        self.tmpfs: Path | None = None

    # --- set-up -------------------------------------------------------------------------
    def start(self):
        from prodlike.topology import Topology

        self.tmpfs = Path(tempfile.mkdtemp(prefix="portal-faults-tmp-"))
        self.tmpfs.chmod(0o777)
        mounted = os.geteuid() == 0 and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16m,mode=1777", "tmpfs", str(self.tmpfs)], capture_output=True
        ).returncode == 0
        self.disk_full_possible = mounted
        self.topology = Topology(base_port=18320, database="portal_prodlike_faults", own_postgres=True,
                                 api_throttle="6000/min", verbose=True, web_env={"TMPDIR": str(self.tmpfs)},
                                 extra_env={"PORTAL_REMINDER_SWEEP_SECONDS": str(SWEEP_EVERY)})
        self.topology.start()
        os.environ.update(self.topology.env)
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        import django

        django.setup()
        self._seed()

    def _seed(self):
        from django.db import connection, transaction
        from django_celery_beat.models import PeriodicTask, PeriodicTasks

        from accounts.models import User
        from api.services import token_create
        from journeys.browser import give_totp
        from reviews.models import Review
        from reviews.services import terms_accept

        from .seed import seed

        with transaction.atomic(), connection.cursor() as cur:
            seed(cur, scale=0.01, log=lambda m: None)
            cur.execute("ANALYZE")
        # Beat's schedule comes from the settings (PORTAL_REMINDER_SWEEP_SECONDS) at every beat's start.
        PeriodicTask.objects.filter(task="notifications.tasks.send_daily_digests").update(enabled=False)
        PeriodicTasks.update_changed()
        reviewer = User.objects.get(email="reviewer.nsa@agency.example")
        self.secret = give_totp(reviewer)
        self.atlas = Review.objects.get(model__name="Atlas-2")
        terms_accept(review=self.atlas, user=reviewer)
        self.token = token_create(user=reviewer, name="faults")[1]

    def stop(self):
        try:
            self.topology.stop()
        finally:
            if self.tmpfs is not None:
                if self.disk_full_possible:
                    subprocess.run(["umount", "-l", str(self.tmpfs)], check=False)
                shutil.rmtree(self.tmpfs, ignore_errors=True)

    # --- the reminders owed ----------------------------------------------------------------
    def owe_reminders(self) -> int:
        """No reminder rows, every review's window ending in 7 days less an hour; returns what a sweep owes."""
        from django.db import connection, transaction

        from notifications.models import Notification
        from reminders.models import Reminder
        from reminders.services import reminder_sweep

        self.pause_beat_sweeps()
        with connection.cursor() as cur:
            cur.execute("DELETE FROM reminders_reminder")
            cur.execute(
                "UPDATE reviews_review SET window_end = now() + interval '7 days' - interval '1 hour' - (id % 600) * interval '1 second', "
                "window_start = now() - interval '23 days' WHERE status = 'in_review'"
            )
            cur.execute("UPDATE rfis_informationrequest SET due_at = now() + interval '100 days' WHERE status = 'open'")
            cur.execute("UPDATE reviews_assignment SET status = 'accepted' WHERE status = 'invited'")
        Notification.objects.filter(verb="reminder").delete()
        with transaction.atomic():
            due = sum(reminder_sweep().values())
            transaction.set_rollback(True)
        assert not Reminder.objects.exists()
        return due

    def pause_beat_sweeps(self, paused: bool = True):
        from django_celery_beat.models import PeriodicTask, PeriodicTasks

        PeriodicTask.objects.filter(task="reminders.tasks.sweep_reminders").update(enabled=not paused)
        PeriodicTasks.update_changed()  # a queryset update sends no signal: tell beat

    def purge_queue(self):
        """Drops queued deliveries left by the previous scenario (their rows are gone)."""
        import redis

        r = redis.Redis.from_url(self.topology.env["CELERY_BROKER_URL"])
        r.flushdb()

    def arrivals(self, started: float) -> Counter:
        """How many times each outbox e-mail reached the SMTP server since ``started`` (by Message-ID)."""
        counts: Counter = Counter()
        for message in self.topology.smtp.snapshot():
            match = OUTBOX_ID.search(message.message_id)
            if message.at >= started and match:
                counts[int(match.group(1))] += 1
        return counts

    def outcome(self, name: str, due: int, actions: Actions, *, started: float, since, extra: dict | None = None):
        from datetime import timedelta

        from documents.storage import orphans
        from notifications.models import Email
        from reminders.models import Reminder

        arrived = self.arrivals(started)
        rows = list(Reminder.objects.values("recipient_id", "email_id", "sent_at", "failed_at", "missed_at", "moot_at"))
        emailed = [r for r in rows if r["email_id"] and arrived[r["email_id"]] > 0]
        reminder_emails = {r["email_id"] for r in rows if r["email_id"]}
        people = {r["recipient_id"] for r in rows}
        incomplete = {r["recipient_id"] for r in rows if not (r["email_id"] and arrived[r["email_id"]] > 0)}
        others = Email.objects.filter(created_at__gte=since).exclude(pk__in=reminder_emails).exclude(kind="reminder")
        other_ids = set(others.values_list("pk", flat=True))
        orphan_objects = len(orphans(older_than=timedelta(0)))
        leftovers = len(list(self.tmpfs.iterdir())) if self.tmpfs else 0
        figures = {
            "due": due,
            "recorded": len(rows),
            "people": len(people),
            "reminder_emails": len(reminder_emails),
            "sent": sum(1 for r in rows if r["sent_at"]),
            "emailed": len(emailed),
            "duplicated": sum(1 for r in emailed if arrived[r["email_id"]] > 1),
            "duplicate_arrivals": sum(n - 1 for pk, n in arrived.items() if n > 1),
            "lost": max(0, due - len(emailed)),
            "failed_rows": sum(1 for r in rows if r["failed_at"]),
            "missed_rows": sum(1 for r in rows if r["missed_at"]),
            "unsent_at_bound": sum(1 for r in rows if not (r["sent_at"] or r["failed_at"] or r["missed_at"] or r["moot_at"])),
            "people_complete": len(people - incomplete),
            "other_emails": len(other_ids),
            "other_emails_arrived": sum(1 for pk in other_ids if arrived[pk]),
            "other_emails_duplicated": sum(1 for pk in other_ids if arrived[pk] > 1),
            "other_emails_lost": sum(1 for pk in other_ids if not arrived[pk]),
            "user_errors": actions.errors,
            "unavailable_503": actions.unavailable,
            "html_500_to_json": actions.html_500_to_json,
            "orphan_files": orphan_objects + leftovers,
            "user_actions": actions.n * 2,
            **(extra or {}),
        }
        for key, value in figures.items():
            self.emit(f"faults.{name}.{key}", value, "")
        self.emit(f"faults.{name}.answers", json.dumps(dict(sorted(actions.statuses.items()))), "")
        return figures

    def settle(self, due: int, bound: float = SETTLE) -> float:
        """Waits until every owed reminder and every e-mail of this scenario is sent (or the bound); returns the seconds waited."""
        from notifications.mail import pending as email_pending
        from notifications.models import Email
        from reminders.models import Reminder

        pending = Reminder.objects.filter(sent_at__isnull=True, moot_at__isnull=True, failed_at__isnull=True, missed_at__isnull=True)
        emails = Email.objects.filter(email_pending(), created_at__gte=self.since)
        started = time.monotonic()
        while time.monotonic() - started < bound:
            if Reminder.objects.count() >= due and not pending.exists() and not emails.exists():
                # Rows are marked sent after the SMTP answer: give late answers a moment.
                time.sleep(2)
                break
            time.sleep(2)
        return round(time.monotonic() - started, 1)

    # --- scenarios ----------------------------------------------------------------------------
    def scenario(self, name: str):
        self.purge_queue()
        smtp = self.topology.smtp
        smtp.set_mode("accept")
        smtp.delay = 0
        due = self.owe_reminders()
        from django.utils import timezone

        self.since = timezone.now()
        actions = Actions(self.topology, self.token, self.atlas.pk, self.secret)
        started = time.time()
        actions.start()
        extra = getattr(self, f"_{name}")(due)
        actions.stop.set()
        actions.join(timeout=30)
        # The users' last actions' e-mails too (bounded).
        extra = {**(extra or {}), "settled_s": round((extra or {}).get("settled_s", 0) + self.settle(due, bound=60), 1)}
        self.pause_beat_sweeps()
        return self.outcome(name, due, actions, started=started, since=self.since, extra=extra)

    def _sweeping(self, paused=False):
        self.pause_beat_sweeps(paused)

    def _smtp_refusing(self, due):
        """SMTP answers 451 for 150 s (longer than the first retries), then recovers."""
        smtp = self.topology.smtp
        smtp.set_mode("refuse")
        refused_before = smtp.refused
        self._sweeping()
        # The outage counts from the first refused delivery (the workers may still be busy when it begins).
        first = self._wait_for(lambda: smtp.refused > refused_before, 120)
        time.sleep(150)
        smtp.set_mode("accept")
        return {"outage_s": 150, "first_refusal_after_s": first, "refusals": smtp.refused - refused_before,
                "settled_s": self.settle(due)}

    @staticmethod
    def _wait_for(predicate, bound: float) -> float:
        started = time.monotonic()
        while not predicate() and time.monotonic() - started < bound:
            time.sleep(0.2)
        return round(time.monotonic() - started, 1)

    def _smtp_hanging(self, due):
        """SMTP accepts connections and never answers for 60 s; those connections stay hung, new ones are answered."""
        smtp = self.topology.smtp
        smtp.set_mode("hang")
        self._sweeping()
        first = self._wait_for(lambda: len(smtp._hung) > 0, 120)
        time.sleep(60)
        # The stalled conversations stay open (never answered) while new connections get a working server.
        smtp.set_mode("accept", keep_hung=True)
        hung = len(smtp._hung)
        settled = self.settle(due)
        smtp.release_hung()
        return {"hang_s": 60, "first_hung_after_s": first, "hung_connections": hung, "settled_s": settled}

    def _worker_log_mark(self, n: int) -> int:
        return len(self.topology.procs[f"worker{n}"].log.read_text(errors="replace"))

    def _kill_workers_when(self, needle: str, workers=(1, 2), timeout=60) -> bool:
        marks = {n: self._worker_log_mark(n) for n in workers}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for n in workers:
                text = self.topology.procs[f"worker{n}"].log.read_text(errors="replace")[marks[n]:]
                if any(needle in line and "received" in line for line in text.splitlines()):
                    time.sleep(0.3)
                    for m in workers:
                        self.topology.kill(f"worker{m}")
                    return True
            time.sleep(0.05)
        return False

    def _restart_workers(self, workers=(1, 2)):
        for n in workers:
            self.topology.start_worker(n)

    def _worker_kill_sweep(self, due):
        """kill -9 of both workers while one runs the sweep; started again 3 s later."""
        self._sweeping()
        killed = self._kill_workers_when("reminders.tasks.sweep_reminders[")
        time.sleep(3)
        self._restart_workers()
        return {"killed_during_sweep": int(killed), "settled_s": self.settle(due)}

    def _worker_kill_delivery(self, due):
        """A slow relay (1 s a message); kill -9 of both workers once deliveries are under way."""
        smtp = self.topology.smtp
        smtp.delay = 1.0
        before = len(smtp.snapshot())
        self._sweeping()
        deadline = time.monotonic() + 90
        while len(smtp.snapshot()) < before + 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        for n in (1, 2):
            self.topology.kill(f"worker{n}")
        time.sleep(3)
        smtp.delay = 0
        self._restart_workers()
        return {"settled_s": self.settle(due)}

    def _two_beats(self, due):
        """A second beat for 60 s next to the first."""
        self.topology.start_beat("beat2")
        self._sweeping()
        time.sleep(60)
        self.topology.end("beat2")
        return {"settled_s": self.settle(due)}

    def _redis_restart(self, due):
        """Redis stopped for 10 s while deliveries are under way; nobody restarts the worker or beat."""
        smtp = self.topology.smtp
        smtp.delay = 0.5
        before = len(smtp.snapshot())
        self._sweeping()
        deadline = time.monotonic() + 90
        while len(smtp.snapshot()) < before + 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.topology.restart_redis(down_seconds=10)
        smtp.delay = 0
        settled = self.settle(due)
        alive = sum(1 for name in ("worker1", "worker2", "beat") if self.topology.procs[name].popen.poll() is None)
        return {"redis_down_s": 10, "processes_alive_after": alive, "settled_s": settled}

    def _upload_many(self, n: int, size: int, results: list, start_event: threading.Event | None = None):
        from prodlike.checks import api

        liaison_token = self._liaison_token()

        def one(i):
            content = (f"fault upload {i} ".encode() * (size // 16 + 1))[:size]
            try:
                status, headers, body = api(self.topology, liaison_token, "POST", "/api/v1/documents/",
                                            fields={"review": self.atlas.pk, "kind": "other", "title": f"fault {i}"},
                                            files={"file": (f"fault-{i}.txt", content)})
                results.append((status, headers.get("Content-Type", ""), body[:300]))
            except Exception as exc:
                results.append((0, "", str(exc).encode()))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        return threads

    def _liaison_token(self):
        from accounts.models import User
        from api.services import token_create

        if not hasattr(self, "_liaison"):
            self._liaison = token_create(user=User.objects.get(email="liaison@northwind.example"), name="faults")[1]
        return self._liaison

    def _upload_figures(self, results) -> dict:
        answers = Counter(f"{status} {'json' if 'json' in ctype else 'html' if 'html' in ctype else ctype or '-'}" for status, ctype, _ in results)
        return {
            "uploads": len(results),
            "uploads_stored": sum(1 for status, _, _ in results if status == 201),
            "upload_html_500_to_json": sum(1 for status, ctype, _ in results if status >= 500 and "html" in ctype),
            "upload_answers": json.dumps(dict(answers)),
        }

    def _postgres_restart_upload(self, due):
        """Six 2 MiB uploads through nginx; PostgreSQL (the topology's own cluster) restarted while they stream.

        Together they fit the web servers' 16 MiB temporary folder (disk_full is the scenario that fills it)."""
        results: list = []
        threads = self._upload_many(6, 2 * 1024 * 1024, results)
        time.sleep(0.5)
        self.topology.restart_postgres(down_seconds=3)
        from django.db import connection

        connection.close()  # this process's own connection died with the server
        for t in threads:
            t.join(timeout=300)
        figures = self._upload_figures(results)
        self._sweeping()
        figures["settled_s"] = self.settle(due)
        return figures

    def _disk_full(self, due):
        """The web servers' temporary folder is a 16 MiB tmpfs: three 12 MiB uploads at once fill it."""
        if not self.disk_full_possible:
            return {"not_run": "mounting a tmpfs needs root"}
        results: list = []
        threads = self._upload_many(3, 12 * 1024 * 1024, results)
        for t in threads:
            t.join(timeout=300)
        figures = self._upload_figures(results)
        self._sweeping()
        figures["settled_s"] = self.settle(due)
        return figures


def run(emit, only: tuple[str, ...] = ()) -> None:
    runner = Run(emit, only)
    try:
        runner.start()
        for name in runner.only:
            print(f"faults: {name} …", flush=True)
            started = time.monotonic()
            try:
                runner.scenario(name)
            except Exception as exc:  # the harness failed, not the portal: say so and go on
                import traceback

                traceback.print_exc()
                emit(f"faults.{name}.harness_error", f"{exc.__class__.__name__}: {str(exc)[:200]}", "")
                from django.db import connection

                connection.close()
            emit(f"faults.{name}.seconds", round(time.monotonic() - started), "s")
    finally:
        runner.stop()
