"""The sweep (find what is due, record it once) and the delivery (send it once)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone


from .deadlines import KINDS, calendar_span, may_know, recipients_batch, shift
from .models import Channel, Kind, OffsetUnit, Reminder, ReminderRule

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
                    created_at=now,
                )
                for occ in occurrences
                for user_id in sorted(people.get(occ.target_id, ()))
                if (occ.target_id, user_id, occ.occasion) not in existing
            ]
            Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=BATCH)
            created[rule.name] += len(rows)
    return dict(created)


def recipients_with_unsent(*, now: datetime | None = None) -> list[int]:
    """Everyone owed something: new rows and rows a crash left unsent."""
    now = now or timezone.now()
    return list(
        Reminder.objects.filter(sent_at__isnull=True, moot_at__isnull=True, failed_at__isnull=True, due_at__lte=now)
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def _message(rows: list[Reminder]) -> tuple[str, str]:
    lines = []
    for r in rows:
        when = timezone.localtime(r.occasion).strftime("%b %-d, %Y %H:%M %Z")
        lines.append(f"- {r.rule.subject.format(review=r.review, when=when)}")
    escalations = sum(1 for r in rows if r.rule.kind == Kind.ESCALATION)
    if len(rows) == 1:
        title = rows[0].rule.subject.format(review=rows[0].review, when=timezone.localtime(rows[0].occasion).strftime("%b %-d"))
    else:
        title = f"{len(rows)} deadlines need your attention" + (f" ({escalations} escalated)" if escalations else "")
    return title[:200], "\n".join(lines)


def reminder_deliver(*, recipient_id: int, now: datetime | None = None) -> int:
    """Sends one person everything due to them, combined in one message; returns how many reminders.

    Locks the person's unsent rows (``skip_locked``: a second worker finds
    nothing to do), drops those that became moot (closed review, answered
    RFI, accepted assignment) or whose review they may no longer see,
    records one notification-centre entry, e-mails it (unless every rule is
    centre-only) and marks the rows sent — all in one transaction, so a
    failed e-mail leaves the rows unsent for the retry.
    """
    from notifications.models import EmailPreference, Notification
    from notifications.services import email_preference, notification_create

    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(recipient_id=recipient_id, sent_at__isnull=True, moot_at__isnull=True, failed_at__isnull=True, due_at__lte=now)
            .select_related("rule", "review__model", "recipient__membership")
            .order_by("due_at", "id")
        )
        if not rows:
            return 0
        recipient = rows[0].recipient
        live, moot = [], []
        for r in rows:
            kind = KINDS[r.rule.deadline]
            still = kind.live(r.target_id) and may_know(user=recipient, kind=kind, target_id=r.target_id, review_id=r.review_id)
            (live if still and recipient.is_active else moot).append(r)
        if moot:
            Reminder.objects.filter(pk__in=[r.pk for r in moot]).update(moot_at=now)
        if not live:
            return 0
        title, body = _message(live)
        by_review = {r.review_id for r in live}
        url = f"/reviews/{next(iter(by_review))}/" if len(by_review) == 1 else "/notifications/"
        escalation = any(r.rule.kind == Kind.ESCALATION for r in live)
        notification = notification_create(recipient=recipient, verb="reminder", title=title, body=body, url=url)
        wants_email = any(r.rule.channel == Channel.EMAIL_AND_CENTRE for r in live)
        preference = email_preference(recipient)
        # Escalations always go by e-mail at once; reminders follow the person's
        # choice (a digest user finds them in tomorrow's digest, "off" gets none).
        if wants_email and (escalation or preference == EmailPreference.IMMEDIATE):
            send_mail(
                subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{title}",
                message=f"{body}\n\nOpen the portal to act on it.",
                from_email=None,
                recipient_list=[recipient.email],
            )
            emailed = now
        elif wants_email and preference == EmailPreference.DIGEST:
            emailed = None
        else:
            emailed = now  # nothing to e-mail: keep it out of the digest
        Notification.objects.filter(pk=notification.pk).update(escalation=escalation, emailed_at=emailed)
        Reminder.objects.filter(pk__in=[r.pk for r in live]).update(sent_at=now, attempts=F("attempts") + 1)
        return len(live)


MAX_ATTEMPTS = 6


def reminder_delivery_failed(*, recipient_id: int, error: str, final: bool) -> None:
    """Counts a failed attempt; after the last retry (or MAX_ATTEMPTS across
    sweeps) the rows are marked failed, which program admins see in the admin."""
    qs = Reminder.objects.filter(recipient_id=recipient_id, sent_at__isnull=True, moot_at__isnull=True, failed_at__isnull=True)
    qs.update(attempts=F("attempts") + 1, last_error=error[:2000])
    if final:
        qs.update(failed_at=timezone.now())
    else:
        qs.filter(attempts__gte=MAX_ATTEMPTS).update(failed_at=timezone.now())


def reminders_run(*, now: datetime | None = None, dry_run: bool = False) -> dict:
    """The whole sweep synchronously (the management command): record, then
    deliver to each person; a rejected address does not stop the others."""
    now = now or timezone.now()
    if dry_run:
        with transaction.atomic():
            created = reminder_sweep(now=now)
            transaction.set_rollback(True)
        return {"recorded": created, "sent": {}, "failed": 0}
    created = reminder_sweep(now=now)
    sent: Counter[str] = Counter()
    failed = 0
    for recipient_id in recipients_with_unsent(now=now):
        before = set(
            Reminder.objects.filter(recipient_id=recipient_id, sent_at__isnull=True).values_list("pk", flat=True)
        )
        try:
            reminder_deliver(recipient_id=recipient_id, now=now)
        except Exception as exc:  # noqa: BLE001 - one bad address must not stop the sweep
            log.warning("reminder delivery to user %s failed: %s", recipient_id, exc)
            reminder_delivery_failed(recipient_id=recipient_id, error=str(exc), final=False)
            failed += 1
            continue
        for r in Reminder.objects.filter(pk__in=before, sent_at=now).select_related("rule"):
            sent[r.rule.name] += 1
    return {"recorded": created, "sent": dict(sent), "failed": failed}
