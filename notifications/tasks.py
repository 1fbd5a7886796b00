from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def send_daily_digests() -> int:
    """Daily: one e-mail per "daily digest" user with every notification not e-mailed yet."""
    from .services import notification_send_digests

    return notification_send_digests()
