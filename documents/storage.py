"""Writing documents to storage so that a fault leaves nothing behind.

Three ways a stored object can outlive its upload, and what answers each:

* **The write itself fails** (disk full, S3 error, connection lost part-way):
  ``store`` deletes whatever part of the object reached storage and raises
  ``StorageFault``, an ``UploadRefused`` whose message names the file and says
  "storage is full / unavailable, try again later". The web page and the API
  report it next to the file like any other refusal (the API as a 503 in its
  usual error body).
* **The transaction that would have recorded the version fails** after the
  write (a later check, a lost database connection, a failed commit):
  ``cleanup_on_failure`` wraps the upload services; every object ``store``
  wrote during the call is deleted when the call or its commit raises.
* **Anything the two above could not reach** (the process was killed between
  the write and the commit; the delete itself failed because storage was
  down; the service ran inside a caller's transaction that later rolled
  back): ``orphans`` compares storage with the version rows, and
  ``manage.py storage_orphans [--delete]`` / the periodic task
  ``documents.tasks.remove_storage_orphans`` remove objects that no version
  names and that are older than a grace period (so an upload still in its
  transaction is never touched).
"""

from __future__ import annotations

import contextvars
import errno
import functools
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from .uploads import UploadRefused

logger = logging.getLogger(__name__)

PREFIX = "documents/"
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StorageFault(UploadRefused):
    """A write that storage refused or broke off; ``code`` is storage_full or storage_unavailable."""


def _is_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
        return True
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    return code in {"EntityTooLarge", "QuotaExceeded", "XMinioStorageFull", "InsufficientStorage"}


def is_storage_error(exc: BaseException) -> bool:
    """An error of the storage rather than of the portal: OS errors and botocore's."""
    if isinstance(exc, OSError):
        return True
    module = type(exc).__module__ or ""
    return module.startswith(("botocore", "boto3", "s3transfer", "urllib3"))


def storage_fault(original_name: str, exc: BaseException) -> StorageFault:
    full = _is_full(exc)
    reason = "storage is full" if full else "storage is unavailable"
    return StorageFault(
        f"{original_name} was not stored: the portal's {reason}. Nothing was kept; try again later.",
        code="storage_full" if full else "storage_unavailable",
    )


_written: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("documents_written", default=None)


def _delete_quietly(name: str) -> bool:
    try:
        default_storage.delete(name)
    except Exception:  # storage still down: the orphan sweep removes it later
        logger.warning("could not delete %s after a failed upload; storage_orphans will", name, exc_info=True)
        return False
    return True


def store(file, *, original_name: str) -> str:
    """Copies ``file`` into storage under a random name and returns the name.

    A failed write deletes the partial object and raises StorageFault. The name is remembered for
    ``cleanup_on_failure``.
    """
    name = f"{PREFIX}{uuid.uuid4().hex}"
    file.seek(0)
    try:
        stored = default_storage.save(name, file)
    except Exception as exc:
        if not is_storage_error(exc):
            raise
        logger.warning("storing %s (%s) failed: %s", name, original_name, exc)
        _delete_quietly(name)
        raise storage_fault(original_name, exc) from exc
    written = _written.get()
    if written is not None:
        written.append(stored)
    return stored


def cleanup_on_failure(func):
    """Runs ``func`` in its own atomic block; if it or the commit raises, deletes what it stored.

    When the caller already holds a transaction the commit happens later, out
    of reach: a rollback then leaves the object to the orphan sweep.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        written: list[str] = []
        token = _written.set(written)
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except BaseException:
            for name in written:
                _delete_quietly(name)
            raise
        finally:
            _written.reset(token)

    return wrapper


@dataclass(frozen=True)
class Orphan:
    name: str
    size: int | None
    modified: datetime | None


def _walk(storage, folder: str):
    dirs, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}{name}"
    for sub in dirs:
        yield from _walk(storage, f"{folder}{sub}/")


def orphans(*, older_than: timedelta, storage=None) -> list[Orphan]:
    """Objects under ``documents/`` that no version row names and that were last written before ``older_than`` ago."""
    from .models import DocumentVersion

    storage = storage or default_storage
    try:
        names = sorted(_walk(storage, PREFIX))
    except FileNotFoundError:
        return []
    if not names:
        return []
    known = set(DocumentVersion.objects.filter(file__in=names).values_list("file", flat=True))
    cutoff = timezone.now() - older_than
    found = []
    for name in names:
        if name in known:
            continue
        try:
            modified = storage.get_modified_time(name)
        except (FileNotFoundError, NotImplementedError):
            modified = None
        if modified is not None and modified > cutoff:
            continue  # possibly an upload whose transaction has not committed yet
        try:
            size = storage.size(name)
        except Exception:
            size = None
        found.append(Orphan(name=name, size=size, modified=modified))
    return found


def orphans_remove(*, older_than: timedelta) -> list[Orphan]:
    """Deletes the orphans ``orphans`` finds and returns those it deleted.

    Side effects: each deleted object is logged; a name is checked once more
    against the version rows just before its delete.
    """
    from .models import DocumentVersion

    removed = []
    for orphan in orphans(older_than=older_than):
        if DocumentVersion.objects.filter(file=orphan.name).exists():
            continue
        if _delete_quietly(orphan.name):
            logger.info("removed orphan %s (%s bytes)", orphan.name, orphan.size)
            removed.append(orphan)
    return removed
