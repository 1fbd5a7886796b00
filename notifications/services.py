"""Writing notifications: the in-app row always, e-mail by the recipient's preference.

Callers compute recipients from the same visibility rules as the pages
(``reviews.audience``), so nobody is told about a review they cannot see;
texts sent to company users never name reviewers, and texts sent to one
agency never name another agency's people. Titles name the object, starting
with the review ("Atlas-2 v1 review #12: …"), so that no two notifications
about different reviews read alike. E-mail goes through the outbox
(``notifications.mail``): after commit, through Celery, retried.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .mail import absolute_url, email_build, emails_queue
from .models import EmailPreference, Notification, NotificationPreference


def email_preference(user) -> str:
    pref = NotificationPreference.objects.filter(user=user).values_list("email", flat=True).first()
    return pref or EmailPreference.IMMEDIATE


def _email_text(*, title: str, body: str, url: str) -> str:
    parts = [title]
    if body:
        parts += ["", body]
    parts += ["", f"Open it in the portal: {absolute_url(url or reverse('notification_index'))}"]
    return "\n".join(parts)


def _footer(*, escalation: bool) -> str:
    why = (
        "Escalations are e-mailed whatever your e-mail preference."
        if escalation
        else f"Choose how the portal e-mails you: {absolute_url(reverse('notification_preferences'))}"
    )
    return f"\n\n-- \n{settings.PORTAL_NAME}\n{why}\nThis is an automated message; do not reply to it."


@transaction.atomic
def notification_send(
    *,
    recipients: Iterable,
    verb: str,
    title: str,
    body: str = "",
    url: str = "",
    escalation: bool = False,
    by_email: bool = True,
    email_kind: str = "notification",
    email_expires_at: datetime | None = None,
) -> list[Notification]:
    """One notification per distinct active recipient, e-mailed by their preference.

    Side effects: the in-app rows (the bell count); an outbox e-mail for each
    recipient whose preference is "immediately" — and for everyone when it is
    an escalation — sent through Celery after the transaction commits and
    retried until it is sent or ``email_expires_at`` passes; digest recipients
    get it in the daily digest (``notifications.tasks.send_daily_digests``);
    "off" gets none. ``by_email=False`` (centre-only reminder rules) e-mails
    nobody and keeps it out of the digests. The e-mail's subject is the title
    and its body links to ``url`` on ``PORTAL_BASE_URL``.
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
    now = timezone.now()
    title = " ".join(title.split())[:200]
    prefs = dict(NotificationPreference.objects.filter(user__in=users).values_list("user_id", "email"))
    to_email = [
        u for u in users if by_email and (escalation or prefs.get(u.pk, EmailPreference.IMMEDIATE) == EmailPreference.IMMEDIATE)
    ]
    text = _email_text(title=title, body=body, url=url) + _footer(escalation=escalation)
    emails = emails_queue(
        email_build(to=u.email, subject=title, body=text, kind=email_kind, recipient=u, expires_at=email_expires_at, now=now)
        for u in to_email
    )
    email_of = {e.recipient_id: e for e in emails}
    rows = []
    for user in users:
        n = Notification(
            recipient=user, verb=verb, title=title, body=body, url=url, escalation=escalation, created_at=now,
            email=email_of.get(user.pk), emailed_at=None if by_email else now,
        )
        n.full_clean(exclude=["email"])
        rows.append(n)
    return Notification.objects.bulk_create(rows)


def notification_send_digests() -> int:
    """One e-mail per "daily digest" user with every notification not e-mailed yet; returns how many digests.

    Each user's pending notifications are locked (``skip_locked``), so two
    runs at once put each notification in one digest; ``emailed_at`` is
    stamped when the digest is actually sent.
    """
    digest_users = list(
        NotificationPreference.objects.filter(email=EmailPreference.DIGEST, user__is_active=True).values_list("user_id", flat=True)
    )
    digests = 0
    for user_id in digest_users:
        with transaction.atomic():
            items = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(recipient_id=user_id, emailed_at__isnull=True, email__isnull=True)
                .select_related("recipient")
                .order_by("created_at", "id")
            )
            if not items:
                continue
            recipient = items[0].recipient
            body = "\n\n".join(_email_text(title=n.title, body=n.body, url=n.url) for n in items) + _footer(escalation=False)
            subject = f"Your daily digest: {len(items)} update{'s' if len(items) != 1 else ''}"
            (email,) = emails_queue([email_build(to=recipient.email, subject=subject, body=body, kind="digest", recipient=recipient)])
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(email=email)
            digests += 1
    return digests


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
