from django.db.models import Count, Window

from .models import Notification


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
