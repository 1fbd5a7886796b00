from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def remove_expired_grants() -> int:
    """Periodic: deletes review grants whose time box ended (visibility already ignores them)."""
    from .services import access_remove_expired

    return access_remove_expired()
