"""Building a signed closing package: a zip streamed to a temporary file, then to storage.

Layout of the zip::

    closing-report.pdf            (interim-report.pdf while the review is open)
    review.json                   the JSON export (schemas/review-export-1.schema.json)
    oscal/assessment-results.json OSCAL, built and validated with compliance-trestle
    oscal/poam.json
    certificates.json             the return-or-destroy certificates
    schemas/review-export-1.schema.json
    documents/<document id>-<title>/v<number>-<file name>   each version the audience may hold
    manifest.json                 every file above with its SHA-256 and size, and the
                                  versions left out (by option or by their marking) with theirs
    manifest.sig                  base64 Ed25519 signature of manifest.json's bytes

Memory stays bounded whatever the size: document files are copied in 1 MiB
chunks (hashed on the way, and checked against the SHA-256 recorded at
upload), the zip is written to a temporary file and handed to the default
storage as a file, which the storage reads in chunks (S3: multipart upload).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
PROGRESS_EVERY = 16 * CHUNK
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "frontier-review-portal/closing-package"


@dataclass
class Plan:
    versions: list = field(default_factory=list)  # included as files
    left_out: list = field(default_factory=list)  # (version, reason): hashes only
    estimated_bytes: int = 0


def _file_refusal(user, version) -> str | None:
    """Why ``version``'s bytes do not go into ``user``'s package (None: they do): the
    download rules of the pages (scan state, view-only markings), and markings that
    watermark PDFs per reader, whose unmarked bytes are never handed out."""
    from documents.permissions import fetch_refusal

    refusal = fetch_refusal(user, version, inline=False)
    if refusal:
        return refusal
    if version.marking.watermark_pdf and version.is_pdf:
        return f"The marking {version.marking} watermarks each download for its reader; fetch it from the document's page."
    return None


def package_plan(*, review, user, include_files: bool = True) -> Plan:
    """Which document versions go in (bytes) and which are listed by hash only, and the size."""
    from documents.models import DocumentVersion

    plan = Plan()
    versions = (
        DocumentVersion.objects.visible_to(user, review=review)
        .select_related("document__marking", "document__review", "marking")
        .order_by("document_id", "number")
    )
    for v in versions:
        reason = None if include_files else "Hashes only were asked for."
        reason = reason or _file_refusal(user, v)
        if reason:
            plan.left_out.append((v, reason))
        else:
            plan.versions.append(v)
            plan.estimated_bytes += v.size
    return plan


def _safe(name: str, limit: int = 80) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "file"
    return cleaned[:limit]


def version_path(version) -> str:
    d = version.document
    return f"documents/{d.pk}-{_safe(d.title, 60)}/v{version.number}-{_safe(version.original_name)}"


class _Writer:
    """Adds members to the zip, hashing each, and reports progress now and then."""

    def __init__(self, zf: zipfile.ZipFile, progress):
        self.zf = zf
        self.files: list[dict] = []
        self.done = 0
        self._reported = 0
        self.progress = progress

    def add_bytes(self, path: str, data: bytes) -> None:
        info = zipfile.ZipInfo(path, date_time=timezone.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zf.writestr(info, data)
        self._done(path, hashlib.sha256(data).hexdigest(), len(data))

    def add_stream(self, path: str, stream, *, expect_sha256: str | None = None) -> None:
        info = zipfile.ZipInfo(path, date_time=timezone.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED  # documents are mostly compressed already; stored is fast and streams
        digest = hashlib.sha256()
        size = 0
        with self.zf.open(info, "w", force_zip64=True) as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
                self.done += len(chunk)
                if self.done - self._reported >= PROGRESS_EVERY:
                    self._reported = self.done
                    self.progress(self.done)
        sha = digest.hexdigest()
        if expect_sha256 and sha != expect_sha256:
            raise PackageBuildError(f"{path}: the stored file does not match the SHA-256 recorded at upload ({expect_sha256}); nothing was packaged.")
        self.files.append({"path": path, "sha256": sha, "bytes": size})

    def _done(self, path, sha, size):
        self.done += size
        self.files.append({"path": path, "sha256": sha, "bytes": size})


class PackageBuildError(Exception):
    pass


def write_package(out, *, review, user, plan: Plan, progress=lambda done: None, package_id=None) -> dict:
    """Writes the whole signed package to the binary file ``out``; returns the manifest."""
    from .data import SCHEMA_PATH, audience_of, export_json_bytes, review_export
    from .oscal import oscal_json
    from .reports import report_for, report_pdf
    from .signing import key_id, sign

    export = review_export(review=review, user=user)
    interim = export["interim"]
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
        w = _Writer(zf, progress)
        w.add_bytes("interim-report.pdf" if interim else "closing-report.pdf", report_pdf(report_for(review=review, user=user)))
        w.add_bytes("review.json", export_json_bytes(export))
        w.add_bytes("oscal/assessment-results.json", oscal_json(export, "assessment-results"))
        w.add_bytes("oscal/poam.json", oscal_json(export, "poam"))
        w.add_bytes("certificates.json", json.dumps(export["certificates"], indent=2, ensure_ascii=False).encode())
        w.add_bytes(f"schemas/{SCHEMA_PATH.name}", SCHEMA_PATH.read_bytes())
        for v in plan.versions:
            with v.file.open("rb") as stream:
                w.add_stream(version_path(v), stream, expect_sha256=v.sha256)
        manifest = {
            "format": FORMAT,
            "format_version": 1,
            "package": package_id,
            "review": {"id": review.pk, "title": str(review), "status": review.status},
            "audience": audience_of(user),
            "interim": interim,
            "generated_at": timezone.now().isoformat(),
            "signed_by": settings.PORTAL_BASE_URL,
            "key_id": key_id(),
            "algorithm": "Ed25519",
            "hash": "SHA-256",
            "files": w.files,
            "documents_not_included": [
                {
                    "document": v.document_id, "version": v.number, "original_name": v.original_name,
                    "sha256": v.sha256, "bytes": v.size, "reason": reason,
                }
                for v, reason in plan.left_out
            ],
        }
        body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
        info = zipfile.ZipInfo(MANIFEST, date_time=timezone.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, body)
        zf.writestr(zipfile.ZipInfo(SIGNATURE, date_time=timezone.now().timetuple()[:6]), sign(body))
    return manifest


def package_build(*, package_id: int) -> str:
    """Builds package ``package_id`` (queued by ``exports.services.package_request``).

    Side effects: the zip in default storage under ``packages/``, the row's
    status, progress, size and SHA-256; one ``DocumentAccess`` download (and
    its audit event) per document version packaged. The requester's scope is
    read again: a requester who lost the review (or whose terms changed) gets
    a failed package and nothing stored. Returns the final status.
    """
    from documents import services as document_services
    from documents.models import AccessKind
    from reviews.standing import standing_of

    from .models import ExportPackage, PackageStatus

    with transaction.atomic():
        package = ExportPackage.objects.select_for_update().select_related("review", "requested_by").filter(pk=package_id).first()
        if package is None or package.status in (PackageStatus.READY, PackageStatus.FAILED):
            return package.status if package else "missing"
        package.status = PackageStatus.BUILDING
        package.done_bytes = 0
        package.save(update_fields=["status", "done_bytes"])
    review, user = package.review, package.requested_by

    def fail(message: str) -> str:
        ExportPackage.objects.filter(pk=package_id).update(status=PackageStatus.FAILED, error=message, finished_at=timezone.now())
        return PackageStatus.FAILED

    standing = standing_of(user=user, review=review)
    if not (user.is_active and standing.may_view) or standing.needs_terms:
        return fail("You no longer have access to this review's material, so the package was not built.")
    plan = package_plan(review=review, user=user, include_files=package.include_files)

    def progress(done: int) -> None:
        ExportPackage.objects.filter(pk=package_id).update(done_bytes=done)

    name = ""
    try:
        with tempfile.NamedTemporaryFile(suffix=".zip", dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
            manifest = write_package(tmp, review=review, user=user, plan=plan, progress=progress, package_id=package_id)
            size = tmp.tell()
            tmp.seek(0)
            digest = hashlib.sha256()
            while chunk := tmp.read(CHUNK):
                digest.update(chunk)
            tmp.seek(0)
            name = default_storage.save(f"packages/{uuid.uuid4().hex}.zip", File(tmp, name="package.zip"))
        with transaction.atomic():
            for v in plan.versions:
                document_services.access_record(version=v, user=user, action=AccessKind.DOWNLOAD, client_address=None)
            ExportPackage.objects.filter(pk=package_id).update(
                status=PackageStatus.READY, file=name, size=size, sha256=digest.hexdigest(), done_bytes=size,
                total_bytes=max(size, package.total_bytes), files_count=len(manifest["files"]), finished_at=timezone.now(),
            )
    except PackageBuildError as exc:
        _delete_quietly(name)
        return fail(str(exc))
    except Exception:
        logger.exception("closing package %s failed", package_id)
        _delete_quietly(name)
        fail("The package could not be built (storage or an internal error); ask again later.")
        raise
    return PackageStatus.READY


def _delete_quietly(name: str) -> None:
    if not name:
        return
    try:
        default_storage.delete(name)
    except Exception:  # noqa: BLE001 - the orphan is logged; nothing else can be done here
        logger.warning("could not delete the partial package %s", name)
