"""Celery tasks of the outbox and the digest.

All acknowledge late and are idempotent by the rows' state: a redelivered
message finds its e-mail sent, claimed by another worker or not yet due, and
does nothing. ``deliver_email`` has tight time limits of its own: its socket
operations time out after ``EMAIL_TIMEOUT``, and a conversation that still
drags on is abandoned at the soft limit and retried.
"""

from celery import shared_task
from django.conf import settings

from . import mail, services


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,  # bounded by the e-mail's expiry, not a count
    soft_time_limit=settings.PORTAL_EMAIL_TASK_SOFT_LIMIT,
    time_limit=settings.PORTAL_EMAIL_TASK_HARD_LIMIT,
)
def deliver_email(self, email_id: int) -> str:
    """One attempt; after a transient failure the same task is retried when
    the row says (backoff capped far below the broker's visibility timeout)."""
    delivery = mail.email_deliver(email_id=email_id)
    if delivery.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=delivery.retry_in)
    return delivery.outcome


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=180)
def sweep_emails() -> dict:
    """Every minute: e-mails whose task was lost are queued again; expired ones are recorded as missed."""
    return mail.email_sweep()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def send_daily_digests() -> int:
    """Daily: one e-mail per "daily digest" user with every notification not e-mailed yet."""
    return services.notification_send_digests()
