"""Celery tasks: the periodic sweep and the per-person delivery.

Both acknowledge late (a worker killed mid-task leaves the message to be
redelivered) and are idempotent by the rows' state; delivery retries only
mail-transport errors, with exponential backoff capped well below the
broker's visibility timeout.
"""

from smtplib import SMTPException

from celery import shared_task
from django.db import transaction

from . import services

TRANSIENT = (SMTPException, OSError, ConnectionError, TimeoutError)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_reminders() -> dict:
    """Periodic (django-celery-beat, every 15 minutes): record what is due, then
    hand each owed person to deliver_reminders once the rows are committed.

    Rows a crash left unsent are owed too, so they are handed off again."""
    with transaction.atomic():
        created = services.reminder_sweep()
        transaction.on_commit(
            lambda: [deliver_reminders.delay(recipient_id) for recipient_id in services.recipients_with_unsent()]
        )
    return created


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=5,
    default_retry_delay=30,
)
def deliver_reminders(self, recipient_id: int) -> int:
    from accounts.models import User

    if not User.objects.filter(pk=recipient_id).exists():
        return 0
    try:
        return services.reminder_deliver(recipient_id=recipient_id)
    except TRANSIENT as exc:
        final = self.request.retries >= self.max_retries
        services.reminder_delivery_failed(recipient_id=recipient_id, error=f"{exc.__class__.__name__}: {exc}", final=final)
        if final:
            raise
        # 30 s, 60 s, 120 s … capped at 10 minutes: far below the broker's visibility timeout.
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc
