from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def fold_search_records() -> int:
    """Periodic (every minute): settled searches become audit events
    (``services.search_records_fold``: one transaction, locked rows skipped, so
    a redelivered or overlapping run writes nothing twice). Returns the events
    written."""
    from .services import search_records_fold

    return search_records_fold()
