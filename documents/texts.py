"""Extracting and indexing a version's text for full-text search (service and task).

A module of its own, like ``scans``: the scan result and the upload services
queue the task here, and the tasks module registers it, without importing
each other.
"""

from __future__ import annotations

from celery import shared_task
from django.core.files.storage import default_storage
from django.db import DataError, OperationalError, connection, transaction
from django.utils import timezone

from .extraction import PAGE_BREAK, PAGE_VECTOR_CHARS, Extracted, extract
from .models import DocumentPurpose, DocumentText, DocumentVersion, ScanStatus

# The versions whose text is extracted: scanned clean, or stored without a
# scanner (who may then search it is decided at query time by readable_by).
EXTRACTABLE = (ScanStatus.CLEAN, ScanStatus.NOT_SCANNED)


def queue_text_extraction(version_id: int) -> None:
    """Queues the extraction once the current transaction commits (robust: a
    broker hiccup never fails the caller; re-running the task is harmless)."""
    transaction.on_commit(lambda: extract_version_text.delay(version_id), robust=True)


def versions_missing_text(*, limit: int, older_than_minutes: int = 10) -> list[int]:
    """Ids of versions whose text should exist but does not (refused ones have a
    row saying why, so they are not offered again)."""
    from datetime import timedelta

    return list(
        DocumentVersion.objects.filter(
            scan_status__in=EXTRACTABLE, text__isnull=True,
            uploaded_at__lt=timezone.now() - timedelta(minutes=older_than_minutes),
        ).order_by("pk").values_list("pk", flat=True)[:limit]
    )


def _readable_file(version: DocumentVersion) -> Extracted:
    with default_storage.open(version.file.name, "rb") as fh:
        return extract(fh, content_type=version.content_type, size=version.size)


def version_text_extract(*, version_id: int) -> DocumentText | None:
    """Extracts and stores the text of one version (re-extracting replaces it).

    Returns None when the version is gone or its scan has not passed. An
    evidence file's text is marked as such (``evidence``): search reads it
    with its finding (search.selectors.material), never as a document. The file is
    read outside any transaction; the row is then written with the version
    locked. Side effects: the ``DocumentText`` row and, on PostgreSQL, its
    ``search_vector`` and ``search_pairs`` in the same transaction. An encrypted or malformed PDF
    is recorded as refused with the reason; the version is not changed.
    Raises OSError when storage cannot be read (the task retries).
    """
    version = DocumentVersion.objects.select_related("document").filter(pk=version_id).first()
    if version is None or version.scan_status not in EXTRACTABLE:
        return None
    outcome = _readable_file(version)
    with transaction.atomic():
        locked = DocumentVersion.objects.select_for_update().filter(pk=version_id).first()
        if locked is None or locked.scan_status not in EXTRACTABLE:
            return None
        row = DocumentText(
            version=locked,
            review_id=version.document.review_id,
            evidence=version.document.purpose == DocumentPurpose.EVIDENCE,
            status=outcome.status,
            reason=outcome.reason[:300],
            text=outcome.text,
            pages=outcome.pages,
            truncated=outcome.truncated,
            indexed_chars=0,
            extracted_at=timezone.now(),
        )
        row.full_clean(exclude=["version", "review"])
        row.save()
        row.indexed_chars = _index(row)
    return row


def _index(row: DocumentText) -> int:
    """Sets the row's English ``tsvector`` (PostgreSQL), and its pages' own
    (``_index_pages``). A tsvector holds at most 1 MiB; text whose vector
    would not fit is indexed from its start, halving until it does. Returns
    how many characters the vector covers."""
    if connection.vendor != "postgresql":
        return 0
    length = len(row.text)
    while True:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    # The vector and its word pairs (a quoted phrase's index: documents/0008).
                    "UPDATE documents_documenttext SET (search_vector, search_pairs) = "
                    "  (SELECT v, search_pairs(v) FROM (SELECT to_tsvector('english'::regconfig, left(text, %s)) AS v) AS t), "
                    "  indexed_chars = %s WHERE version_id = %s",
                    [length, length, row.pk],
                )
            break
        except (DataError, OperationalError) as error:
            if length < 1000 or not _too_long(error):
                raise
            length //= 2
    _index_pages(row)
    return length


def _too_long(error: Exception) -> bool:
    """A vector past 1 MiB: "string is too long for tsvector" is SQLSTATE
    54000 (program limit exceeded), which Django raises as an OperationalError,
    not a DataError; a lost connection is an OperationalError too, and is not this."""
    return isinstance(error, DataError) or getattr(error.__cause__, "sqlstate", None) == "54000"


def _index_pages(row: DocumentText) -> None:
    """A text of more than one page also keeps a vector per page, in page
    order (``page_vectors``, documents/0014), so find in one document matches
    pages without parsing them again; None for a single page. Each is made of
    the page's first ``PAGE_VECTOR_CHARS`` characters, so it always fits."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE documents_documenttext SET page_vectors = CASE WHEN strpos(text, %s) > 0 THEN ARRAY("
            "  SELECT to_tsvector('english'::regconfig, left(p.page, %s)) "
            "  FROM unnest(string_to_array(text, %s)) WITH ORDINALITY AS p(page, n) ORDER BY p.n) END "
            "WHERE version_id = %s",
            [PAGE_BREAK, PAGE_VECTOR_CHARS, PAGE_BREAK, row.pk],
        )


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=5, soft_time_limit=300, time_limit=360)
def extract_version_text(self, version_id: int) -> str | None:
    """Extracts one version's text (ids only; nothing if the version is gone;
    idempotent: a second run writes the same row). Retries while storage is unreadable."""
    try:
        row = version_text_extract(version_id=version_id)
    except OSError as exc:
        if self.request.called_directly or self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=min(3600, 30 * 2**self.request.retries))
    return row.status if row else None
