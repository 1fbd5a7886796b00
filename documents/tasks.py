from celery import shared_task

from .scanning import ScannerUnavailable
from .texts import extract_version_text, versions_missing_text  # extract_version_text: registered here too


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=8)
def scan_version(self, version_id: int) -> str | None:
    """Scans one stored version with clamd. Retries (exponential backoff) only
    while clamd is unreachable; the version says why it is still pending."""
    from .models import DocumentVersion, ScanStatus
    from .scanning import scan_stored_file
    from .scans import scan_result_record

    version = DocumentVersion.objects.filter(pk=version_id).first()
    if version is None or version.scan_status != ScanStatus.PENDING:
        return None
    try:
        outcome = scan_stored_file(version.file.name, version.size)
    except ScannerUnavailable as exc:
        scan_result_record(version_id=version_id, status=ScanStatus.PENDING, detail=str(exc))
        if self.request.called_directly or self.request.is_eager:
            return ScanStatus.PENDING
        raise self.retry(exc=exc, countdown=min(3600, 30 * 2**self.request.retries))
    scan_result_record(version_id=version_id, status=outcome.status, detail=outcome.detail)
    return outcome.status


@shared_task(acks_late=True, ignore_result=True)
def requeue_pending_scans() -> int:
    """Periodic: queues a scan for every version still pending after ten minutes
    (a lost message, or clamd down longer than the retries lasted)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from .models import DocumentVersion, ScanStatus

    if not settings.CLAMAV_URL:
        return 0
    ids = list(
        DocumentVersion.objects.filter(
            scan_status=ScanStatus.PENDING, uploaded_at__lt=timezone.now() - timedelta(minutes=10), size__lte=settings.CLAMAV_MAX_BYTES
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        scan_version.delay(pk)
    return len(ids)


@shared_task(acks_late=True, ignore_result=True)
def requeue_missing_texts() -> int:
    """Periodic: queues text extraction for versions that could be searched but
    have no text row ten minutes after upload (the broker was down when the scan
    or upload committed, or a worker died mid-task); at most 500 a run, oldest first."""
    ids = versions_missing_text(limit=500)
    for pk in ids:
        extract_version_text.delay(pk)
    return len(ids)


@shared_task(acks_late=True, ignore_result=True)
def remove_storage_orphans() -> int:
    """Periodic: deletes stored files that no version names, an hour after they were written
    (an upload killed between its write and its commit, or whose clean-up found storage down)."""
    from datetime import timedelta

    from .storage import orphans_remove

    return len(orphans_remove(older_than=timedelta(hours=1)))
