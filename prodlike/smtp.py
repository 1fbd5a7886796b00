"""A counting SMTP server (aiosmtpd) whose behaviour the caller switches at run time.

Modes, all on the same loopback port:

* ``accept``: a real SMTP conversation; every message is kept (recipient,
  subject, body) and counted (``delay`` seconds before each answer makes a
  slow relay).
* ``refuse``: the greeting and the envelope go through, then every message
  is answered ``451 4.3.0`` — a transient refusal, as a mail relay under
  maintenance answers.
* ``down``: nothing listens (connection refused).
* ``hang``: connections are accepted and never answered — no greeting, no
  reply, until the mode changes (a server that stalls its clients).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Message:
    recipient: str
    subject: str
    body: str
    at: float
    message_id: str = ""


class _Handler:
    def __init__(self, owner: "CountingSMTP"):
        self.owner = owner

    async def handle_DATA(self, server, session, envelope):
        if self.owner.delay:
            await asyncio.sleep(self.owner.delay)  # a slow relay: deliveries are in flight for a while
        if self.owner.mode == "refuse":
            self.owner.refused += 1
            return "451 4.3.0 Mail service busy, try again later"
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        part = parsed.get_body(preferencelist=("plain",)) if parsed.is_multipart() else parsed
        body = part.get_content() if part is not None else ""
        with self.owner.lock:
            for recipient in envelope.rcpt_tos:
                self.owner.messages.append(Message(recipient.lower(), str(parsed["Subject"] or ""), body, time.time(),
                                                   str(parsed["Message-ID"] or "").strip()))
        return "250 OK"


class CountingSMTP:
    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.mode = "down"
        self.messages: list[Message] = []
        self.refused = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        self._controller: Controller | None = None
        self._hang_socket: socket.socket | None = None
        self._hung: list[socket.socket] = []
        self._hang_thread: threading.Thread | None = None

    # --- modes ---------------------------------------------------------------
    def set_mode(self, mode: str, *, keep_hung: bool = False) -> None:
        """Switches behaviour; ``keep_hung`` leaves the conversations a hang stalled open (never answered)."""
        if mode not in ("accept", "refuse", "down", "hang"):
            raise ValueError(mode)
        if mode == self.mode:
            return
        self._stop_listening(keep_hung=keep_hung)
        if mode in ("accept", "refuse"):
            self.mode = mode
            self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=10)
            self._controller.start()
        elif mode == "hang":
            self.mode = mode
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(64)
            sock.settimeout(0.2)
            self._hang_socket = sock
            self._hang_thread = threading.Thread(target=self._hold, args=(sock,), daemon=True)
            self._hang_thread.start()
        self.mode = mode

    def _hold(self, sock: socket.socket) -> None:
        while self._hang_socket is sock:
            try:
                conn, _ = sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            self._hung.append(conn)  # never read, never answered

    def release_hung(self) -> int:
        """Closes the stalled conversations; returns how many there were."""
        hung, self._hung = self._hung, []
        for conn in hung:
            conn.close()
        return len(hung)

    def _stop_listening(self, *, keep_hung: bool = False) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._hang_socket is not None:
            sock, self._hang_socket = self._hang_socket, None
            sock.close()
            if self._hang_thread:
                self._hang_thread.join(timeout=2)
            if not keep_hung:
                self.release_hung()
        self.mode = "down"

    def start(self) -> "CountingSMTP":
        self.set_mode("accept")
        return self

    def stop(self) -> None:
        self._stop_listening()
        self.release_hung()

    # --- what arrived --------------------------------------------------------
    def snapshot(self) -> list[Message]:
        with self.lock:
            return list(self.messages)

    def per_recipient_subject(self) -> Counter:
        return Counter((m.recipient, m.subject) for m in self.snapshot())

    def to(self, address: str) -> list[Message]:
        return [m for m in self.snapshot() if m.recipient == address.lower()]
