"""Writes for documents: uploads, versions, scan results, access records.

Every change is recorded in the audit trail in the same transaction. Files
are stored under random names; nothing is ever overwritten or deleted, except
what a failed upload left behind (documents/storage.py).
"""

from __future__ import annotations

import hashlib

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from audit.services import audit_record
from portal.errors import NotAllowed
from reviews.models import Review
from reviews.standing import standing_of

from .models import (
    Document,
    DocumentAccess,
    DocumentChange,
    DocumentKind,
    DocumentVersion,
    DocumentPurpose,
    HandlingMarking,
    ScanStatus,
)
from .storage import cleanup_on_failure, store
from .uploads import UploadRefused, human_size, name_problem

OOXML = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OOXML_MARKERS = {b"word/": OOXML["docx"], b"xl/": OOXML["xlsx"], b"ppt/": OOXML["pptx"]}


def _file_path(file) -> str | None:
    try:
        return file.temporary_file_path()
    except AttributeError:
        return None


def detect_content_type(file) -> str:
    """The content type from the bytes (libmagic), never from the name or the browser's claim."""
    path = _file_path(file)
    file.seek(0)
    head = file.read(2 * 1024 * 1024)
    file.seek(0)
    detected = magic.from_file(path, mime=True) if path else magic.from_buffer(head, mime=True)
    if detected in ("application/zip", "application/octet-stream") and head.startswith(b"PK\x03\x04"):
        # libmagic may call an Office Open XML file a plain zip: look at the part names.
        for marker, ooxml_type in OOXML_MARKERS.items():
            if b"[Content_Types].xml" in head and marker in head:
                return ooxml_type
    if detected == "text/plain" and head.lstrip()[:1] in (b"{", b"["):
        import json

        try:
            json.loads(head.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            pass
        else:
            return "application/json"
    return detected


def _digest(file) -> tuple[str, int]:
    """SHA-256 and size, from the upload handler when it streamed them, else by reading in chunks."""
    if getattr(file, "sha256", None) and file.size is not None:
        return file.sha256, file.size
    digest, size = hashlib.sha256(), 0
    file.seek(0)
    for chunk in file.chunks(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size


def _check_upload(*, file, original_name: str) -> tuple[str, int, str]:
    problem = name_problem(original_name)
    if problem:
        raise UploadRefused(f"{original_name!r} refused: {problem}.")
    sha256, size = _digest(file)
    if size == 0:
        raise UploadRefused(f"{original_name} refused: the file is empty.")
    if size > settings.PORTAL_UPLOAD_MAX_BYTES:
        raise UploadRefused(
            f"{original_name} refused: larger than the {human_size(settings.PORTAL_UPLOAD_MAX_BYTES)} limit."
        )
    content_type = detect_content_type(file)
    if content_type not in settings.PORTAL_UPLOAD_ALLOWED_TYPES:
        raise UploadRefused(f"{original_name} refused: its content is {content_type}, which is not an accepted type.")
    return sha256, size, content_type


def _check_may_upload(actor, review) -> None:
    """The actor's standing on the review, read now, must allow uploading."""
    if not standing_of(user=actor, review=review).may_upload:
        raise NotAllowed("Only the company's liaisons upload documents to an open review.")


def _new_version(
    *, document: Document, uploaded_by, file, original_name: str, checked=None, marking: HandlingMarking | None = None
) -> DocumentVersion:
    sha256, size, content_type = checked or _check_upload(file=file, original_name=original_name)
    Document.objects.select_for_update().filter(pk=document.pk).get()
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    marking = marking or document.marking
    scanning = bool(settings.CLAMAV_URL)
    stored = store(file, original_name=original_name)
    version = DocumentVersion(
        document=document,
        number=number,
        original_name=original_name,
        size=size,
        content_type=content_type,
        sha256=sha256,
        marking=marking,
        uploaded_by=uploaded_by,
        scan_status=ScanStatus.PENDING if scanning else ScanStatus.NOT_SCANNED,
        scan_detail="Waiting for the virus scan." if scanning else "ClamAV is not configured: this file was not scanned.",
    )
    version.file.name = stored
    version.full_clean()
    version.save()
    audit_record(
        action="document.upload",
        actor=uploaded_by,
        target=document,
        review=document.review,
        payload={
            "version": number,
            "original_name": original_name,
            "size": size,
            "content_type": content_type,
            "sha256": sha256,
            "marking": marking.name,
        },
    )
    if marking.pk != document.marking_id:
        # The document's marking is its current version's.
        document.marking = marking
        document.save(update_fields=["marking"])
    if scanning:
        from .tasks import scan_version

        pk = version.pk
        # robust: a broker hiccup must not fail the upload; the version stays
        # pending and the periodic requeue_pending_scans picks it up.
        transaction.on_commit(lambda: scan_version.delay(pk), robust=True)
    elif document.purpose == "review":
        # Stored without a scanner: its text is extracted for search now (who may
        # search it is decided when searching, as for fetching it).
        from .texts import queue_text_extraction

        queue_text_extraction(version.pk)
    return version


@cleanup_on_failure
def document_create(
    *, review: Review, actor, kind: str, title: str, marking: HandlingMarking, file, original_name: str
) -> DocumentVersion:
    """Creates a document on ``review`` with ``file`` as its first version; returns that version.

    Side effects: the file is stored under a random name; an audit event
    ``document.upload``; with ClamAV configured a scan task is queued after
    commit (the version stays pending until it reports; a clean scan queues
    the text extraction for search), without it the text extraction is queued
    after commit. Nothing is stored
    when the upload is refused (UploadRefused names the file and the reason),
    when storage fails part-way (StorageFault: the partial object is deleted)
    or when this transaction or its commit fails (the object is deleted; see
    documents/storage.py for what the orphan sweep catches).
    """
    _check_may_upload(actor, review)
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "Choose a kind of document."})
    checked = _check_upload(file=file, original_name=original_name)
    document = Document(
        review=review, kind=kind, title=(title or original_name).strip()[:200], marking=marking, created_by=actor
    )
    document.full_clean()
    document.save()
    return _new_version(document=document, uploaded_by=actor, file=file, original_name=original_name, checked=checked)


@cleanup_on_failure
def evidence_document_create(*, review: Review, actor, title: str, marking: HandlingMarking, file, original_name: str) -> DocumentVersion:
    """Stores ``file`` as an evidence document (purpose "evidence") on ``review``; returns its version.

    The caller (findings.services.evidence_add) has checked, under its lock, that
    ``actor`` may attach evidence to the finding; the documents app never lists or
    serves evidence itself. Checks, hashing, type detection, scanning, audit and
    clean-up exactly as ``document_create`` (same accepted types and size limit).
    """
    checked = _check_upload(file=file, original_name=original_name)
    document = Document(
        review=review, kind=DocumentKind.EVALUATION_RESULTS if checked[2] in ("application/json", "application/zip") else DocumentKind.OTHER,
        title=(title or original_name).strip()[:200], marking=marking, created_by=actor, purpose=DocumentPurpose.EVIDENCE,
    )
    document.full_clean()
    document.save()
    return _new_version(document=document, uploaded_by=actor, file=file, original_name=original_name, checked=checked)


def _latest_name(document: Document) -> str | None:
    return document.versions.order_by("-number").values_list("original_name", flat=True).first()


@cleanup_on_failure
def version_create(
    *, document: Document, actor, file, original_name: str, marking: HandlingMarking | None = None,
    confirm_new_name: bool = False,
) -> DocumentVersion:
    """Adds a new version to ``document`` (earlier versions stay as they are), under
    ``marking`` (default: the document's current one; another one becomes the document's).

    A file whose name differs from the current version's is refused on the ``file``
    field unless ``confirm_new_name`` says the person meant it (a different name
    often means the wrong file). Side effects: as ``document_create``.
    """
    _check_may_upload(actor, document.review_id)
    current = _latest_name(document)
    if current is not None and current != original_name and not confirm_new_name:
        raise ValidationError(
            {
                "file": f"{original_name} is not named like the current version ({current}). Confirm that it is a "
                "new version of this document to upload it."
            }
        )
    return _new_version(document=document, uploaded_by=actor, file=file, original_name=original_name, marking=marking)


@transaction.atomic
def document_update(*, document_id: int, actor, title: str, kind: str, marking: HandlingMarking) -> Document:
    """The company's liaison corrects a document's title, kind or marking while the
    review is open. A new marking applies to the current version and the versions to
    come; earlier versions keep the marking they were handed over under. Locks the
    document row.

    Side effects: a ``DocumentChange`` row (who, when, each field from → to) shown on
    the document's page, and audit ``document.edit``; nothing when nothing changed.
    """
    document = Document.objects.select_for_update().select_related("marking").get(pk=document_id)
    if document.purpose != DocumentPurpose.REVIEW:
        raise NotAllowed("Evidence is changed on its finding.")
    if not standing_of(user=actor, review=document.review_id).may_edit_documents:
        raise NotAllowed("Only the company's liaisons edit documents, while the review is open.")
    title = (title or "").strip()
    errors = {}
    if not title:
        errors["title"] = "Give the document a title."
    if kind not in DocumentKind.values:
        errors["kind"] = "Choose a kind of document."
    if errors:
        raise ValidationError(errors)
    changes, version_number = {}, None
    if title != document.title:
        changes["title"] = [document.title, title]
    if kind != document.kind:
        changes["kind"] = [document.get_kind_display(), DocumentKind(kind).label]
    if marking.pk != document.marking_id:
        changes["marking"] = [document.marking.name, marking.name]
        current = document.versions.select_for_update().order_by("-number").first()
        if current is not None:
            current.marking = marking
            current.save(update_fields=["marking"])
            version_number = current.number
    if not changes:
        return document
    document.title, document.kind, document.marking = title, kind, marking
    document.full_clean()
    document.save()
    change = DocumentChange(document=document, actor=actor, changes=changes, version_number=version_number)
    change.full_clean()
    change.save()
    audit_record(
        action="document.edit", actor=actor, target=document, review=document.review,
        payload={"changes": changes, **({"version": version_number} if version_number else {})},
    )
    return document


@transaction.atomic
def access_record(*, version: DocumentVersion, user, action: str, client_address: str | None) -> DocumentAccess:
    """Records one view or download of ``version`` by ``user``.

    Side effects: a DocumentAccess row and an audit event ``document.view`` /
    ``document.download``.
    """
    access = DocumentAccess(
        version=version,
        user=user,
        agency_id=user.agency_id,
        action=action,
        client_address=client_address or None,
    )
    access.full_clean()
    access.save()
    audit_record(
        action=f"document.{action}",
        actor=user,
        target=version.document,
        review=version.document.review,
        payload={"version": version.number, "sha256": version.sha256},
    )
    return access
