from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def reopen_expired_risk_acceptances() -> int:
    """Periodic: findings whose accepted risk has expired open again (and notify)."""
    from .services import finding_reopen_expired_risks

    return finding_reopen_expired_risks()
