from django.db.models import Count, Q, Window

from .models import Email, Notification


def notification_list(*, user):
    return Notification.objects.filter(recipient=user)


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_bell(*, user, limit: int = 5) -> tuple[int, list[Notification]]:
    """The header bell: the unread count and the newest ``limit`` unread notifications, in one query."""
    recent = list(
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .annotate(unread_total=Window(Count("id")))
        .only("id", "title", "url", "created_at", "escalation")
        .order_by("-created_at", "-id")[:limit]
    )
    return (recent[0].unread_total if recent else 0), recent


def email_counts(*, kind: str | None = None) -> dict[str, int]:
    """The outbox at a glance, in one query: written, sent, pending (of which
    retrying after a failed attempt), failed, missed; and attempts made."""
    from django.db.models import Sum

    qs = Email.objects.all() if kind is None else Email.objects.filter(kind=kind)
    pending = Q(sent_at__isnull=True, failed_at__isnull=True, missed_at__isnull=True)
    counts = qs.aggregate(
        written=Count("id"),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        pending=Count("id", filter=pending),
        retrying=Count("id", filter=pending & Q(attempts__gt=0)),
        failed=Count("id", filter=Q(failed_at__isnull=False)),
        missed=Count("id", filter=Q(missed_at__isnull=False)),
        attempts=Sum("attempts"),
    )
    counts["attempts"] = counts["attempts"] or 0
    return counts
