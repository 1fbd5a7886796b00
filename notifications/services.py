"""Writing notifications: the in-app row always, e-mail by the recipient's preference.

Callers compute recipients from the same visibility rules as the pages
(``notifications.recipients``), so nobody is told about a review they cannot
see; texts sent to company users never name reviewers.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import EmailPreference, Notification, NotificationPreference


@transaction.atomic
def notification_create(*, recipient, verb: str, title: str, body: str = "", url: str = "") -> Notification:
    notification = Notification(recipient=recipient, verb=verb, title=title, body=body, url=url)
    notification.full_clean()
    notification.save()
    return notification


def email_preference(user) -> str:
    pref = NotificationPreference.objects.filter(user=user).values_list("email", flat=True).first()
    return pref or EmailPreference.IMMEDIATE


@transaction.atomic
def notification_send(
    *, recipients: Iterable, verb: str, title: str, body: str = "", url: str = "", escalation: bool = False
) -> list[Notification]:
    """One notification per distinct active recipient.

    Side effects: the in-app rows (the bell count); after the transaction
    commits, an e-mail to each recipient whose preference is "immediately",
    and to everyone for an escalation. Digest recipients get it in the daily
    digest (``notifications.tasks.send_daily_digests``); "off" gets no e-mail.
    """
    seen: set[int] = set()
    users = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        users.append(user)
    if not users:
        return []
    rows = []
    for user in users:
        n = Notification(recipient=user, verb=verb, title=title[:200], body=body, url=url, escalation=escalation)
        n.full_clean()
        rows.append(n)
    created = Notification.objects.bulk_create(rows)
    prefs = dict(NotificationPreference.objects.filter(user__in=users).values_list("user_id", "email"))
    to_email = [
        n.pk for n in created if escalation or prefs.get(n.recipient_id, EmailPreference.IMMEDIATE) == EmailPreference.IMMEDIATE
    ]
    if to_email:
        transaction.on_commit(lambda: notification_email_now(notification_ids=to_email))
    return created


def notification_email_now(*, notification_ids: list[int]) -> int:
    """E-mails each notification not e-mailed yet and stamps ``emailed_at``; returns how many were sent."""
    sent = 0
    for n in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("recipient"):
        send_mail(
            subject=f"[Frontier Review] {n.title}",
            message=_email_text(n),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[n.recipient.email],
        )
        Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def _email_text(n: Notification) -> str:
    parts = [n.title]
    if n.body:
        parts += ["", n.body]
    if n.url:
        parts += ["", f"Open it in the portal: {n.url}"]
    return "\n".join(parts)


def notification_send_digests() -> int:
    """Sends one e-mail per digest user with everything not e-mailed yet; returns how many digests."""
    digest_users = NotificationPreference.objects.filter(email=EmailPreference.DIGEST).values("user_id")
    pending = (
        Notification.objects.filter(recipient_id__in=digest_users, emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("recipient_id", "created_at", "id")
    )
    by_user: dict[int, list[Notification]] = {}
    for n in pending:
        by_user.setdefault(n.recipient_id, []).append(n)
    for items in by_user.values():
        recipient = items[0].recipient
        body = "\n\n".join(_email_text(n) for n in items)
        send_mail(
            subject=f"[Frontier Review] Your daily digest: {len(items)} update{'s' if len(items) != 1 else ''}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[recipient.email],
        )
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
    return len(by_user)


@transaction.atomic
def notification_preference_set(*, user, email: str) -> NotificationPreference:
    """Stores the user's e-mail preference (immediately, daily digest, off)."""
    pref, _ = NotificationPreference.objects.get_or_create(user=user)
    pref.email = email
    pref.updated_at = timezone.now()
    pref.full_clean()
    pref.save()
    return pref


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Marks one of the user's notifications (or all of them) read; returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
