"""Recording what the virus scanner found (the scan task's service).

A module of its own so that the scan task (documents.tasks) and the upload
services, which queue that task, do not import each other.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_record
from notifications.services import notification_send

from .models import DocumentVersion, ScanStatus
from .texts import queue_text_extraction


def _program_admins():
    from accounts.models import User

    return User.objects.filter(membership__role=Role.PROGRAM_ADMIN, is_active=True)


@transaction.atomic
def scan_result_record(*, version_id: int, status: str, detail: str) -> DocumentVersion:
    """Stores a scan's outcome on the version (locked).

    Side effects: an audit event ``document.scan``; a clean version's text
    is extracted for search (queued on commit); an infected version is
    quarantined for good and its uploader and every program admin are told
    (notification centre and e-mail). A pending result only updates the reason.
    """
    version = DocumentVersion.objects.select_for_update().select_related("document__review", "uploaded_by").get(pk=version_id)
    if version.scan_status == ScanStatus.INFECTED:
        return version  # quarantine is final
    version.scan_status = status
    version.scan_detail = detail[:2000]
    if status != ScanStatus.PENDING:
        version.scanned_at = timezone.now()
    version.full_clean()
    version.save(update_fields=["scan_status", "scan_detail", "scanned_at"])
    audit_record(
        action="document.scan",
        target=version.document,
        review=version.document.review,
        payload={"version": version.number, "status": status, "detail": detail[:500]},
        actor_label="virus scanner",
    )
    if status == ScanStatus.CLEAN:
        queue_text_extraction(version.pk)
    if status == ScanStatus.INFECTED:
        # Uploader and program admins: in the notification centre, and by
        # e-mail as each prefers (one message each; no one sees the others).
        notification_send(
            recipients=[version.uploaded_by, *_program_admins()],
            verb="document.quarantined",
            title=f"{version.document.review}: quarantined {version.original_name} (version {version.number} of {version.document})",
            body=f"The virus scan found {detail}. The file can no longer be downloaded by anyone.",
            url=reverse("document_detail", kwargs={"pk": version.document_id}),
        )
    return version
