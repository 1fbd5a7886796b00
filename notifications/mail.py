"""The outbox: the one way the portal sends e-mail.

Every e-mail — notifications, digests, reminders and escalations, invitations,
account messages, scan alerts — is an ``Email`` row written by
``email_queue`` / ``emails_queue`` in the transaction of the action that
causes it. After that transaction commits, ``notifications.tasks.deliver_email``
is queued for it; the task (``email_deliver``) claims the row in one short
transaction, talks to the mail server with no transaction open, and records
the outcome in another:

* sent → ``sent_at`` (and ``emailed_at`` on the notifications it carries);
* a transient failure (4xx, refused or dropped connection, timeout, the
  task's soft time limit) → still pending, retried after 1, 2, 4 … ×
  ``PORTAL_EMAIL_RETRY_BASE_SECONDS`` (capped at ``PORTAL_EMAIL_RETRY_MAX_SECONDS``);
* a permanent failure (5xx for this address or message) → ``failed_at`` with
  the server's reason;
* still pending at ``expires_at`` → ``missed_at``.

``email_sweep`` (every minute, from beat) offers again every pending e-mail
whose task was lost (a worker killed, a broker restart, the broker down when
the action committed) and records the expired ones as missed. The user's
action never waits for the mail server and never fails because of it.

Exactly once: a claim (``claimed_until``) outlives the task's hard time limit,
so no two workers ever talk to the server about one e-mail, and every attempt
carries the same Message-ID. The one window left is the server's reply to the
end of the message being lost (the worker killed or the connection cut just
after the server accepted it): the e-mail is then sent again, with the same
Message-ID, which receiving systems use to drop the repeat. A database that
goes away after the server accepted the message (a PostgreSQL restart) is
waited out, within the task's soft time limit, to record it sent.

Other apps learn outcomes through ``on_outcome(kind, hook)``: reminders mirror
them on their rows and alert the program office about missed ones.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.outage import retry_through_database_outage

from .models import Email, EmailState, Notification

log = logging.getLogger(__name__)

DELIVER_TASK = "notifications.tasks.deliver_email"
SWEEP_BATCH = 5000

Hook = Callable[..., None]
_hooks: dict[str, list[Hook]] = {}


class Outcome:
    SENT = "sent"
    RETRY = "retry"  # transient failure: still pending, next attempt scheduled
    FAILED = EmailState.FAILED.value
    MISSED = EmailState.MISSED.value
    SKIPPED = "skipped"  # already final, claimed by another worker, or not due yet


@dataclass(frozen=True)
class Delivery:
    outcome: str
    retry_in: float | None = None  # seconds, when the task should try again


def on_outcome(kind: str, hook: Hook) -> None:
    """Calls ``hook(email=…, outcome=…, at=…)`` inside the transaction that
    records each outcome of an e-mail of this kind (retry, sent, failed, missed)."""
    if hook not in _hooks.setdefault(kind, []):
        _hooks[kind].append(hook)


def absolute_url(path: str) -> str:
    """``path`` on the configured site address (``PORTAL_BASE_URL``); absolute URLs pass unchanged."""
    if not path or urlsplit(path).scheme:
        return path
    return settings.PORTAL_BASE_URL + (path if path.startswith("/") else "/" + path)


def pending() -> Q:
    return Q(sent_at__isnull=True, failed_at__isnull=True, missed_at__isnull=True)


# --- writing ---------------------------------------------------------------


def _subject(subject: str) -> str:
    # A subject is one header line: no CR/LF can reach the mail server.
    line = " ".join(subject.split())
    prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
    if not line.startswith(prefix.strip()):
        line = prefix + line
    return line[:255]


@lru_cache(maxsize=4)
def _cipher(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"portal outbox body\x00" + secret.encode()).digest()))


def _fernet() -> Fernet:
    return _cipher(settings.PORTAL_ENCRYPTION_KEY or settings.SECRET_KEY)


def email_build(
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    recipient=None,
    sensitive: bool = False,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> Email:
    """An unsaved outbox row (for ``emails_queue``); the subject gets the portal's prefix."""
    now = now or timezone.now()
    email = Email(
        kind=kind,
        recipient=recipient,
        to=to.strip(),
        subject=_subject(subject),
        body=_fernet().encrypt(body.encode()).decode() if sensitive else body,
        sensitive=sensitive,
        created_at=now,
        next_attempt_at=now,
        expires_at=expires_at or now + timedelta(hours=settings.PORTAL_EMAIL_GIVE_UP_HOURS),
    )
    # The address is the server's to judge: a refusal is recorded on the row
    # (failed, with its reason) instead of failing the action that wrote it.
    email.full_clean(exclude=["recipient", "to"])
    return email


@transaction.atomic
def emails_queue(emails: Iterable[Email]) -> list[Email]:
    """Saves outbox rows and queues their delivery once the surrounding transaction commits.

    Side effects: one ``deliver_email`` task per row after commit (or, with
    ``PORTAL_EMAIL_EAGER`` or Celery's eager mode, delivery in this process
    after commit). A rolled-back transaction owes and sends nothing.
    """
    created = Email.objects.bulk_create(list(emails))
    if created:
        ids = [e.pk for e in created]
        transaction.on_commit(lambda: email_dispatch(email_ids=ids), robust=True)
    return created


def email_queue(
    *, to: str, subject: str, body: str, kind: str, recipient=None, sensitive: bool = False, expires_at: datetime | None = None
) -> Email:
    """Records one e-mail to ``to`` and sends it after commit, through Celery, retrying.

    For e-mails that are not notifications (invitations, account messages);
    notifications go through ``notification_send``, which honours each
    person's preference and calls this module. ``sensitive`` bodies (a link
    that signs someone in or creates an account) are stored encrypted and
    erased once the e-mail is sent, failed or missed.
    """
    return emails_queue(
        [email_build(to=to, subject=subject, body=body, kind=kind, recipient=recipient, sensitive=sensitive, expires_at=expires_at)]
    )[0]


def email_dispatch(*, email_ids: list[int], now: datetime | None = None) -> None:
    """Hands e-mails to the delivery task; never raises (the sweep offers again
    whatever could not be queued, e.g. while the broker is down). ``now``
    (a sweep run as of another time) applies only to in-process delivery."""
    from celery import current_app

    if settings.PORTAL_EMAIL_EAGER or current_app.conf.task_always_eager:
        for pk in email_ids:
            try:
                email_deliver(email_id=pk, now=now)
            except Exception:  # noqa: BLE001 - the row stays pending for the sweep
                log.exception("delivering e-mail %s in process failed", pk)
        return
    for pk in email_ids:
        try:
            current_app.send_task(DELIVER_TASK, args=[pk])
        except Exception as exc:  # noqa: BLE001 - broker down: the sweep queues it later
            log.warning("could not queue e-mail %s (%s); the sweep will offer it again", pk, exc)


# --- delivering --------------------------------------------------------------


def email_backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones."""
    base, cap = settings.PORTAL_EMAIL_RETRY_BASE_SECONDS, settings.PORTAL_EMAIL_RETRY_MAX_SECONDS
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


def claim_seconds() -> int:
    """How long a claim keeps other workers away: past the task's hard limit."""
    return settings.PORTAL_EMAIL_TASK_HARD_LIMIT + settings.PORTAL_EMAIL_CLAIM_MARGIN_SECONDS


def classify(exc: BaseException) -> tuple[bool, str]:
    """(permanent?, reason) for a failed conversation.

    Permanent only when retrying cannot help this e-mail: the server refused
    this address (5xx on RCPT) or this message (5xx after DATA), or the
    message cannot be written at all. Everything else — 4xx, a refused or cut
    connection, a timeout, a refused sender or login (the portal's own
    configuration, fixed by an operator) — is transient.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        reason = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items())
        return bool(codes) and all(code >= 500 for code in codes), f"address refused: {reason}"
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500, f"message refused: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return False, f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, SoftTimeLimitExceeded):
        return False, "the mail server took longer than the delivery task's time limit"
    if isinstance(exc, (TimeoutError,)):
        return False, f"the mail server did not answer within {settings.EMAIL_TIMEOUT} s"
    if isinstance(exc, (OSError, smtplib.SMTPException)):
        return False, f"{type(exc).__name__}: {exc}"
    if isinstance(exc, (ValueError, InvalidToken)):
        return True, f"the message could not be written: {type(exc).__name__}: {exc}"
    return False, f"{type(exc).__name__}: {exc}"


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _message_id(email: Email) -> str:
    domain = urlsplit(settings.PORTAL_BASE_URL).hostname or "portal.invalid"
    digest = hashlib.sha256(f"{email.pk}:{email.created_at.isoformat()}".encode()).hexdigest()[:16]
    return f"<outbox-{email.pk}-{digest}@{domain}>"


def _finish(email: Email, outcome: str, at: datetime, error: str = "") -> None:
    """Records an outcome on the locked row and tells the kind's hooks, in the caller's transaction."""
    fields = ["claimed_until", "last_error"]
    email.claimed_until = None
    if error:
        email.last_error = error[:2000]
    if outcome == Outcome.SENT:
        email.sent_at = at
        fields.append("sent_at")
    elif outcome == Outcome.FAILED:
        email.failed_at = at
        fields.append("failed_at")
    elif outcome == Outcome.MISSED:
        email.missed_at = at
        fields.append("missed_at")
    else:
        email.next_attempt_at = at + timedelta(seconds=email_backoff(email.attempts))
        fields.append("next_attempt_at")
    if email.sensitive and outcome != Outcome.RETRY:
        email.body = ""
        fields.append("body")
    email.save(update_fields=fields)
    if outcome == Outcome.SENT:
        Notification.objects.filter(email=email).update(emailed_at=at)
    for hook in _hooks.get(email.kind, ()):
        hook(email=email, outcome=outcome, at=at)


def _missed_reason(email: Email) -> str:
    why = f" (last attempt: {email.last_error})" if email.last_error else ""
    return f"not sent before {timezone.localtime(email.expires_at):%b %-d, %Y %H:%M %Z}{why}"


def email_deliver(*, email_id: int, now: datetime | None = None) -> Delivery:
    """One delivery attempt of one e-mail, if it is due and nobody else holds it.

    Three steps, never one transaction around the mail server: claim the row
    (attempts + 1, ``claimed_until``), talk to the server with no transaction
    open (``EMAIL_TIMEOUT`` on every socket operation), record the outcome —
    through a database outage (a restart) if need be, within the task's soft
    time limit, so that a message the server accepted is never sent again.
    Returns the outcome and, after a transient failure, when to try again.
    """
    started = time.monotonic()
    simulated = now is not None
    now = now or timezone.now()
    with transaction.atomic():
        email = (
            Email.objects.select_for_update(skip_locked=True)
            .filter(pending(), pk=email_id)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .first()
        )
        if email is None:
            return Delivery(Outcome.SKIPPED)
        if email.expires_at <= now:
            _finish(email, Outcome.MISSED, now, _missed_reason(email))
            return Delivery(Outcome.MISSED)
        if email.next_attempt_at > now:
            return Delivery(Outcome.SKIPPED)
        email.attempts += 1
        email.claimed_until = now + timedelta(seconds=claim_seconds())
        email.save(update_fields=["attempts", "claimed_until"])

    error = ""
    permanent = False
    try:
        body = _fernet().decrypt(email.body.encode()).decode() if email.sensitive else email.body
        message = EmailMessage(
            subject=email.subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
            headers={"Message-ID": _message_id(email), "Auto-Submitted": "auto-generated"},
        )
        with get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT) as connection:
            connection.send_messages([message])
    except Exception as exc:  # noqa: BLE001 - every failure (SoftTimeLimitExceeded too) is recorded on the row
        permanent, error = classify(exc)
        log.warning("e-mail %s to %s: attempt %s failed (%s): %s", email.pk, email.to, email.attempts,
                    "permanent" if permanent else "transient", error)

    at = now if simulated else timezone.now()

    @transaction.atomic
    def record() -> Delivery:
        row = Email.objects.select_for_update().get(pk=email.pk)
        if row.state != EmailState.PENDING:
            return Delivery(Outcome.SKIPPED)
        if not error:
            _finish(row, Outcome.SENT, at)
            return Delivery(Outcome.SENT)
        if permanent:
            _finish(row, Outcome.FAILED, at, error)
            return Delivery(Outcome.FAILED)
        _finish(row, Outcome.RETRY, at, error)
        return Delivery(Outcome.RETRY, retry_in=max(0.0, (row.next_attempt_at - at).total_seconds()))

    # The server has the message: a database that went away meanwhile (a restart) is waited
    # out, or the claim would expire and the sweep send the e-mail again.
    left = settings.PORTAL_EMAIL_TASK_SOFT_LIMIT - (time.monotonic() - started) - 2
    return retry_through_database_outage(record, seconds=max(left, 0))


def email_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Periodic: records expired e-mails as missed and queues every pending one
    that is overdue by more than ``PORTAL_EMAIL_SWEEP_GRACE_SECONDS`` (its task
    was lost, or could not be queued). Returns how many of each."""
    as_of, now = now, now or timezone.now()
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    missed = 0
    expired = list(Email.objects.filter(pending(), unclaimed, expires_at__lte=now).values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in expired:
        with transaction.atomic():
            email = Email.objects.select_for_update(skip_locked=True).filter(pending(), unclaimed, pk=pk).first()
            if email is not None:
                _finish(email, Outcome.MISSED, now, _missed_reason(email))
                missed += 1
    grace = timedelta(seconds=settings.PORTAL_EMAIL_SWEEP_GRACE_SECONDS)
    due = list(
        Email.objects.filter(pending(), unclaimed, expires_at__gt=now, next_attempt_at__lte=now - grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    email_dispatch(email_ids=due, now=as_of)
    return {"queued": len(due), "missed": missed}
