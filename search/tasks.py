from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def fold_search_records() -> int:
    """Periodic (every minute): settled searches become audit events
    (``services.search_records_fold``: a transaction per batch, one fold at
    a time — an overlapping or redelivered run leaves the backlog to the one
    folding it — so nothing is written twice or split). Returns the events
    written."""
    from .services import search_records_fold

    return search_records_fold()


@shared_task(acks_late=True, ignore_result=True)
def check_saved_searches() -> int:
    """Periodic (every five minutes): saved searches with alerts on whose last
    check is 15 minutes old are run again for their owners, who are told of
    what is new (``services.saved_searches_check``: each in its own
    transaction, its row locked and its check time moved with the alert, so
    a redelivered or overlapping run tells nothing twice). Returns the alerts
    sent."""
    from .services import saved_searches_check

    return saved_searches_check()
