from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def end_lapsed_credentials() -> int:
    """Periodic: records the end of credentials whose grant ended by time (window
    end + grace, an expired grant, the endpoint's window) and tells each company
    which to rotate. Reveals never wait for it: ``modelaccess.rules`` decides at read time."""
    from .services import credentials_sweep

    return credentials_sweep()
