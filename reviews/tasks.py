from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def remove_expired_grants() -> int:
    """Periodic: deletes review grants whose time box ended (visibility already ignores them)."""
    from .services import access_remove_expired

    return access_remove_expired()


@shared_task(acks_late=True, ignore_result=True)
def compact_reach_counts() -> int:
    """Periodic: folds each user's kept reach-count changes (``ReachDelta``)
    into one row, so reading a count sums a few rows however many grants there
    were. Returns the rows folded (-1: another compaction was running)."""
    from .services import reach_counts_compact

    return reach_counts_compact()
