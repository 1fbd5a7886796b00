"""The sweep (find what is due, record it once) and the delivery (hand it over once).

Delivery writes one notification per person and, through the outbox of
``notifications.mail``, one e-mail; the e-mail's outcome comes back through
``reminder_email_outcome`` and is copied onto the rows, so each row says
whether it was sent, is still being retried, was refused (with the server's
reason) or was missed — and the program office hears of every missed one.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from notifications.mail import Outcome, absolute_url, email_deliver
from notifications.services import notification_send

from .deadlines import KINDS, calendar_span, may_know, recipients_batch, shift
from .models import Channel, Kind, OffsetUnit, Reminder, ReminderRule
from .texts import render

log = logging.getLogger(__name__)
BATCH = 1000


def _window(rule: ReminderRule, now: datetime, catch_up: timedelta) -> tuple[datetime, datetime]:
    """Bounds on the deadline for which this rule fires in [now - catch_up, now].

    fire = deadline + offset, so deadline = fire - k with k the offset as a
    calendar span: exact for calendar days give or take a daylight-saving
    hour; between n and 2n + 6 days for n business days. The bounds keep the
    sweep's range scan to the deadlines that can be due; the exact fire time
    is checked in Python.
    """
    if rule.unit == OffsetUnit.CALENDAR_DAYS:
        lo = hi = timedelta(days=rule.offset)
        pad = timedelta(hours=2)
    else:
        n = abs(rule.offset)
        near, far = timedelta(days=n), timedelta(days=calendar_span(n, rule.unit))
        lo, hi = (near, far) if rule.offset >= 0 else (-far, -near)
        pad = timedelta(days=1)
    return now - catch_up - hi - pad, now - lo + pad


def reminder_expiry(*, occasion: datetime, due_at: datetime) -> datetime:
    """When a reminder's occasion has passed: one that comes before its
    deadline ("ends in 3 days") at the deadline; one on or after it (the
    day-of reminder, escalations) ``PORTAL_REMINDER_CATCH_UP_DAYS`` (at least
    one) after it fell due. Undelivered by then, it is missed."""
    if due_at < occasion:
        return occasion
    return due_at + timedelta(days=max(1, settings.PORTAL_REMINDER_CATCH_UP_DAYS))


@transaction.atomic
def reminder_sweep(*, now: datetime | None = None, rules=None) -> dict[str, int]:
    """Records every reminder and escalation that is due and not yet recorded.

    For each active rule, an indexed range query on the deadline column finds
    the objects whose fire time (deadline shifted by the rule's offset, in the
    portal's time zone) lies between ``now - PORTAL_REMINDER_CATCH_UP_DAYS``
    and ``now``; anything older is moot. Rows go in under the unique
    constraint, so a repeated or racing sweep records nothing twice. Returns
    new rows per rule name. Sending is reminder_deliver's job, after commit.
    """
    now = now or timezone.now()
    catch_up = timedelta(days=settings.PORTAL_REMINDER_CATCH_UP_DAYS)
    created: Counter[str] = Counter()
    for rule in rules if rules is not None else ReminderRule.objects.filter(is_active=True):
        kind = KINDS[rule.deadline]
        if kind.queryset() is None:
            continue
        earliest, latest = _window(rule, now, catch_up)
        due = []
        for occ in kind.occurrences(earliest=earliest, latest=latest):
            fire_at = shift(occ.occasion, rule.offset, rule.unit)
            if now - catch_up <= fire_at <= now:
                due.append((occ, fire_at))
        for start in range(0, len(due), BATCH):
            chunk = due[start : start + BATCH]
            fire = {occ.target_id: fire_at for occ, fire_at in chunk}
            occurrences = [occ for occ, _ in chunk]
            people = recipients_batch(kinds=rule.recipients, kind=kind, occurrences=occurrences)
            existing = set(
                Reminder.objects.filter(rule=rule, target_type=kind.target_type, target_id__in=list(fire)).values_list(
                    "target_id", "recipient_id", "occasion"
                )
            )
            rows = [
                Reminder(
                    rule=rule,
                    review_id=occ.review_id,
                    target_type=occ.target_type,
                    target_id=occ.target_id,
                    recipient_id=user_id,
                    occasion=occ.occasion,
                    due_at=fire[occ.target_id],
                    expires_at=reminder_expiry(occasion=occ.occasion, due_at=fire[occ.target_id]),
                    created_at=now,
                )
                for occ in occurrences
                for user_id in sorted(people.get(occ.target_id, ()))
                if (occ.target_id, user_id, occ.occasion) not in existing
            ]
            Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=BATCH)
            created[rule.name] += len(rows)
    return dict(created)


def undelivered() -> Q:
    """Rows nobody has handed over yet (an e-mail in the outbox counts as handed over)."""
    return Q(sent_at__isnull=True, moot_at__isnull=True, failed_at__isnull=True, missed_at__isnull=True, email__isnull=True)


def recipients_with_unsent(*, now: datetime | None = None) -> list[int]:
    """Everyone owed a delivery — new rows, and rows a crash left undelivered — each once.

    ``order_by()`` keeps any ordering out of the DISTINCT: with it, a person
    came back once per row, and each copy became a delivery task."""
    now = now or timezone.now()
    return list(
        Reminder.objects.filter(undelivered(), due_at__lte=now).order_by().values_list("recipient_id", flat=True).distinct()
    )


def _when(moment: datetime, user: User) -> str:
    return timezone.localtime(moment, getattr(user, "time_zone", None) or timezone.get_default_timezone()).strftime(
        "%b %-d, %Y %H:%M %Z"
    )


def _texts(rows: list[Reminder], recipient: User) -> list[tuple[Reminder, str, str, str]]:
    """(row, subject, body, page path) for each row, its placeholders filled from what the recipient may see."""
    details: dict[tuple[str, int], dict[str, str]] = {}
    by_kind: dict[str, list[int]] = {}
    for r in rows:
        by_kind.setdefault(r.rule.deadline, []).append(r.target_id)
    for deadline, ids in by_kind.items():
        kind = KINDS[deadline]
        for target_id, values in kind.details(ids).items():
            details[(kind.target_type, target_id)] = values
    out = []
    for r in rows:
        review = r.review
        values = {
            "review": str(review),
            "number": str(review.pk),
            "model": str(review.model),
            "company": str(review.company),
            "when": _when(r.occasion, recipient),
            "agency": "",
            "rfi": "",
            **details.get((r.target_type, r.target_id), {}),
        }
        path = KINDS[r.rule.deadline].link(target_id=r.target_id, review_id=r.review_id)
        out.append((r, render(r.rule.subject, values), render(r.rule.body, values), path))
    return out


def _message(rows: list[Reminder], recipient: User) -> tuple[str, str, str]:
    """Title, body and link of the one notification (and e-mail) that carries ``rows``."""
    texts = _texts(rows, recipient)
    if len(texts) == 1:
        _, subject, body, path = texts[0]
        return subject, body, path
    reviews = list(dict.fromkeys(str(r.review) for r in rows))
    escalations = sum(1 for r in rows if r.rule.kind == Kind.ESCALATION)
    named = ", ".join(reviews[:3]) + (f" and {len(reviews) - 3} more" if len(reviews) > 3 else "")
    title = f"{len(rows)} deadlines need your attention" + (f" ({escalations} escalated)" if escalations else "") + f": {named}"
    body = "\n\n".join(
        f"- {subject}" + (f"\n  {text}" if text else "") + f"\n  {absolute_url(path)}" for _, subject, text, path in texts
    )
    paths = {path for *_, path in texts}
    if len(paths) == 1:
        return title, body, paths.pop()
    if len({r.review_id for r in rows}) == 1:
        return title, body, reverse("review_detail", kwargs={"pk": rows[0].review_id})
    return title, body, reverse("notification_index")


def _deliver(*, recipient_id: int, now: datetime) -> list[Reminder]:
    """Hands over everything due to one person as one notification and one e-mail; returns the rows handed over."""
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(undelivered(), recipient_id=recipient_id, due_at__lte=now)
            .select_related("rule", "review__model", "review__company", "recipient__membership")
            .order_by("due_at", "id")
        )
        if not rows:
            return []
        recipient = rows[0].recipient
        live, moot, late = [], [], []
        for r in rows:
            kind = KINDS[r.rule.deadline]
            still = kind.live(r.target_id) and may_know(user=recipient, kind=kind, target_id=r.target_id, review_id=r.review_id)
            if not (still and recipient.is_active):
                moot.append(r)
            else:
                (late if r.expires_at <= now else live).append(r)
        if moot:
            Reminder.objects.filter(pk__in=[r.pk for r in moot]).update(moot_at=now)
        if late:
            reason = "nobody handed it over before its occasion passed (were the workers down?)"
            Reminder.objects.filter(pk__in=[r.pk for r in late]).update(missed_at=now, last_error=reason)
        if not live:
            return []
        title, body, path = _message(live, recipient)
        escalation = any(r.rule.kind == Kind.ESCALATION for r in live)
        # Escalations always go by e-mail at once; reminders follow the person's
        # choice (a digest user finds them in tomorrow's digest, "off" gets none).
        (notification,) = notification_send(
            recipients=[recipient],
            verb="reminder",
            title=title,
            body=body,
            url=path,
            escalation=escalation,
            by_email=any(r.rule.channel == Channel.EMAIL_AND_CENTRE for r in live),
            email_kind="reminder",
            email_expires_at=max(r.expires_at for r in live),
        )
        ids = [r.pk for r in live]
        if notification.email_id:
            Reminder.objects.filter(pk__in=ids).update(email_id=notification.email_id)  # sent when the e-mail is
        else:
            Reminder.objects.filter(pk__in=ids).update(sent_at=now)
        return live


def reminder_deliver(*, recipient_id: int, now: datetime | None = None) -> int:
    """Hands one person everything due to them, combined in one message; returns how many reminders.

    Locks the person's undelivered rows (``skip_locked``: a second worker
    finds nothing to do); drops those that became moot (closed review,
    answered RFI, accepted assignment) or whose review they may no longer
    see; records as missed those whose occasion passed before anyone handed
    them over (the next sweep tells the program office); writes one
    notification-centre entry and, unless every rule is centre-only, one
    outbox e-mail — all in one transaction. No mail server is involved here:
    the e-mail is sent after commit by the outbox's task, and its outcome is
    copied onto the rows (``reminder_email_outcome``).
    """
    return len(_deliver(recipient_id=recipient_id, now=now or timezone.now()))


def reminder_email_outcome(*, email, outcome: str, at: datetime) -> None:
    """The outbox's hook for reminder e-mails (inside its transaction): copies
    each attempt's outcome onto the rows the e-mail carries. Missed rows are
    reported to the program office by the next sweep (reminder_alert_missed)."""
    rows = Reminder.objects.filter(email=email, sent_at__isnull=True, failed_at__isnull=True, missed_at__isnull=True)
    common = {"attempts": email.attempts, "last_error": email.last_error}
    if outcome == Outcome.SENT:
        rows.update(sent_at=at, **common)
    elif outcome == Outcome.FAILED:
        rows.update(failed_at=at, **common)
    elif outcome == Outcome.MISSED:
        rows.update(missed_at=at, **common)
    else:
        rows.update(**common)


@transaction.atomic
def reminder_alert_missed(*, now: datetime | None = None) -> int:
    """Tells the program office about every missed reminder not reported yet:
    one escalation per review (bell, notification centre and e-mail) listing
    what nobody received and why, linking to the review's page, where each
    row says "missed". Rows are locked (``skip_locked``) and stamped
    ``alerted_at``, so two sweeps report each once. Returns how many alerts."""
    now = now or timezone.now()
    rows = list(
        Reminder.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(missed_at__isnull=False, alerted_at__isnull=True)
        .select_related("rule", "review__model", "recipient__membership")
        .order_by("review_id", "due_at", "id")
    )
    if not rows:
        return 0
    admins = list(User.objects.filter(membership__role=Role.PROGRAM_ADMIN, is_active=True))
    by_review: dict[int, list[Reminder]] = {}
    for r in rows:
        by_review.setdefault(r.review_id, []).append(r)
    for review_rows in by_review.values():
        review = review_rows[0].review
        n = len(review_rows)
        lines = [
            f"- {r.rule.name} → {r.recipient.get_full_name() or r.recipient.email}" + (f": {r.last_error}" if r.last_error else "")
            for r in review_rows
        ]
        notification_send(
            recipients=admins,
            verb="reminder.missed",
            title=f"{review}: {n} reminder{'s' if n != 1 else ''} not delivered in time",
            body="\n".join(lines),
            url=reverse("review_detail", kwargs={"pk": review.pk}),
            escalation=True,
        )
    Reminder.objects.filter(pk__in=[r.pk for r in rows]).update(alerted_at=now)
    return len(by_review)


def reminders_run(*, now: datetime | None = None, dry_run: bool = False) -> dict:
    """The whole sweep synchronously (the management command): record, hand
    over to each person, then make one delivery attempt of each e-mail right
    here (outside any transaction; a worker that got there first wins the
    claim). ``failed`` counts e-mails refused for good, ``retrying`` those
    left to the outbox's retries; one bad address never stops the others."""
    now = now or timezone.now()
    if dry_run:
        with transaction.atomic():
            created = reminder_sweep(now=now)
            transaction.set_rollback(True)
        return {"recorded": created, "sent": {}, "failed": 0, "retrying": 0}
    created = reminder_sweep(now=now)
    sent: Counter[str] = Counter()
    emails: set[int] = set()
    for recipient_id in recipients_with_unsent(now=now):
        for r in _deliver(recipient_id=recipient_id, now=now):
            sent[r.rule.name] += 1
        emails.update(
            Reminder.objects.filter(recipient_id=recipient_id, email__isnull=False, sent_at__isnull=True)
            .values_list("email_id", flat=True)
        )
    outcomes = Counter(email_deliver(email_id=pk, now=now).outcome for pk in sorted(emails))
    reminder_alert_missed(now=now)
    return {"recorded": created, "sent": dict(sent), "failed": outcomes[Outcome.FAILED], "retrying": outcomes[Outcome.RETRY]}
