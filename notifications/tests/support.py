"""Real servers for delivery tests: an SMTP server (aiosmtpd) the test controls,
and a Celery worker process on the real Redis broker and the test database.

The SMTP server runs in the test process on 127.0.0.1 (a port the kernel
picks, kept while the server is down: ``free_port``) and can be made to fail
the ways mail servers fail: down (connection refused), deferring every
recipient (451), refusing one address for good (550), hanging (accepts the
connection, never greets), or slow (each reply late).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

ROOT = Path(__file__).resolve().parents[2]
_HANDED_OUT: set[int] = set()  # ports free_port gave this process


def free_port() -> int:
    """A port nobody listens on, picked by the kernel, and never one this
    process handed out before (also for the Redis-outage tests' own
    redis-server). Not the first free one of a fixed range: the
    port of a server that is down for a test (free for seconds) would go to
    the next server started in this process or another xdist worker, which
    would then answer in its place."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


class Mailbox:
    """aiosmtpd handler: keeps every accepted message; fails on demand."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[email.message.EmailMessage] = []
        self.defer: str | None = None  # e.g. "451 4.3.0 try again later" for every recipient
        self.refuse: dict[str, str] = {}  # address → "550 5.1.1 …"
        self.slow = 0.0  # seconds before each reply to EHLO, MAIL and RCPT (never after the data)
        self.attempts = 0  # RCPT commands seen

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        await asyncio.sleep(self.slow)
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await asyncio.sleep(self.slow)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.slow)
        with self.lock:
            self.attempts += 1
        if self.defer:
            return self.defer
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    # --- what arrived ---------------------------------------------------------

    def by_recipient(self) -> Counter:
        with self.lock:
            return Counter(str(m["To"]) for m in self.messages)

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if str(m["To"]) == address]

    def body(self, message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


class _Controller(Controller):
    def __init__(self, box: Mailbox, server: SmtpServer, port: int):
        super().__init__(box, hostname="127.0.0.1", port=port, ready_timeout=10)
        self.owner = server

    def factory(self):
        # While hanging, every new connection waits for a PROXY header that the
        # client never sends: the connection is accepted and never greeted.
        if self.owner.hanging:
            self.owner.hung_connections += 1
            return SMTP(self.handler, hostname="mail.test", proxy_protocol_timeout=3600)
        return SMTP(self.handler, hostname="mail.test")


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.box = Mailbox()
        self.hanging = False
        self.hung_connections = 0  # connections accepted while hanging
        self._controller: _Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpServer:
        if self._controller is None:
            self._controller = _Controller(self.box, self, self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        """Down: connections are refused until start()."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }


def db_url(connection) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class CeleryWorker:
    """``celery worker`` in its own process group on its own queue, with the test database."""

    def __init__(self, *, queue: str, log: Path, env: dict[str, str], concurrency: int = 1):
        from django.db import connection

        self.queue = queue
        self.log = log
        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        full_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": db_url(connection),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CELERY_VISIBILITY_TIMEOUT": "30",
            **env,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "-n", self.name,
             "--concurrency", str(concurrency), "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=full_env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def wait_for(predicate, seconds: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")
