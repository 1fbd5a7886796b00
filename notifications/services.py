from django.db import transaction
from django.utils import timezone

from .models import Notification


@transaction.atomic
def notification_create(*, recipient, verb: str, title: str, body: str = "", url: str = "") -> Notification:
    notification = Notification(recipient=recipient, verb=verb, title=title, body=body, url=url)
    notification.full_clean()
    notification.save()
    return notification


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Marks one of the user's notifications (or all of them) read; returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())
