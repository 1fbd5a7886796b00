"""Celery tasks: the periodic sweep and the per-person hand-over.

Both acknowledge late (a worker killed mid-task leaves the message to be
redelivered) and are idempotent by the rows' state. Neither talks to the
mail server: a person's reminders become one notification and one outbox
e-mail, which ``notifications.tasks.deliver_email`` sends and retries.
"""

from celery import shared_task
from django.db import OperationalError, transaction

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def sweep_reminders() -> dict:
    """Periodic (django-celery-beat, every 15 minutes): record what is due, then
    hand each owed person — once, however many rows they are owed — to
    deliver_reminders once the rows are committed.

    Rows a crash left undelivered are owed too, so they are handed off again."""
    with transaction.atomic():
        created = services.reminder_sweep()
        transaction.on_commit(_queue_deliveries, robust=True)
    services.reminder_alert_missed()
    return created


def _queue_deliveries() -> None:
    for recipient_id in services.recipients_with_unsent():
        deliver_reminders.delay(recipient_id)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=5,
    soft_time_limit=120,
    time_limit=180,
)
def deliver_reminders(self, recipient_id: int) -> int:
    from accounts.models import User

    if not User.objects.filter(pk=recipient_id).exists():
        return 0
    try:
        return services.reminder_deliver(recipient_id=recipient_id)
    except OperationalError as exc:
        # The database went away mid-way: nothing was handed over (one
        # transaction); try again, and the next sweep offers the rows anyway.
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc
