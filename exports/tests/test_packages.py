"""Signed closing packages: built by the task, streamed to storage, checked by ``verify_package``."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from audit.models import AuditEvent
from documents.models import DocumentAccess, DocumentVersion
from exports import services
from exports.models import ExportPackage, PackageStatus
from exports.packages import MANIFEST, SIGNATURE, package_build
from exports.signing import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings):
    """The suite's own media folder (conftest's autouse ``_media_root``: a copy of the demo's files)."""
    return Path(settings.MEDIA_ROOT)


def _built(review, user, *, include_files=True):
    package = services.package_request(review=review, user=user, include_files=include_files)
    assert package_build(package_id=package.pk) == PackageStatus.READY, ExportPackage.objects.get(pk=package.pk).error
    return ExportPackage.objects.get(pk=package.pk)


def _copy(package, tmp_path, name="package.zip") -> Path:
    path = tmp_path / name
    with default_storage.open(package.file, "rb") as src, open(path, "wb") as out:
        shutil.copyfileobj(src, out)
    return path


def _verify(path, *extra):
    from io import StringIO

    out = StringIO()
    call_command("verify_package", str(path), *extra, stdout=out)
    return out.getvalue()


def _rewrite(source: Path, target: Path, *, drop=(), replace=None, add=None):
    """A copy of the zip with members dropped, replaced or added (the manifest left as signed)."""
    replace = replace or {}
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            zout.writestr(info, replace.get(info.filename, zin.read(info.filename)))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return target


@pytest.fixture
def atlas_package(demo, media, tmp_path):
    package = _built(demo["atlas"], demo["admin"])
    return package, _copy(package, tmp_path)


def test_fresh_package_verifies_and_holds_every_part(atlas_package, demo):
    package, path = atlas_package
    out = _verify(path)
    assert out.startswith("OK: ") and "Program office" in out
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read(MANIFEST))
    versions = DocumentVersion.objects.filter(document__review=demo["atlas"])
    documents = {n for n in names if n.startswith("documents/")}
    assert {"interim-report.pdf", "review.json", "oscal/assessment-results.json", "oscal/poam.json", "certificates.json",
            "schemas/review-export-1.schema.json", MANIFEST, SIGNATURE} <= names
    assert len(documents) + len(manifest["documents_not_included"]) == versions.count()
    assert {f["path"] for f in manifest["files"]} == names - {MANIFEST, SIGNATURE}
    # The stored zip is the one the row describes.
    assert hashlib.sha256(path.read_bytes()).hexdigest() == package.sha256 and path.stat().st_size == package.size
    # Each packaged document's bytes are the uploaded ones.
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert {listed[n] for n in documents} <= set(versions.values_list("sha256", flat=True))


def test_verify_package_catches_an_edited_pdf(atlas_package, tmp_path):
    _, path = atlas_package
    with zipfile.ZipFile(path) as zf:
        pdf = zf.read("interim-report.pdf")
    bad = _rewrite(path, tmp_path / "edited.zip", replace={"interim-report.pdf": pdf.replace(b"Interim report", b"Interim rep0rt")})
    with pytest.raises(CommandError, match=r"MISMATCH: interim-report\.pdf does not match the signed manifest"):
        _verify(bad)


def test_verify_package_catches_a_pdf_edited_in_place(atlas_package, tmp_path):
    """Bytes flipped inside the zip itself (no rewrite): the zip's CRC or the hash names the file."""
    _, path = atlas_package
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("interim-report.pdf")
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0xFF
    bad = tmp_path / "flipped.zip"
    bad.write_bytes(bytes(raw))
    with pytest.raises(CommandError, match=r"interim-report\.pdf"):
        _verify(bad)


def test_verify_package_catches_a_removed_file(atlas_package, tmp_path):
    _, path = atlas_package
    bad = _rewrite(path, tmp_path / "removed.zip", drop={"oscal/poam.json"})
    with pytest.raises(CommandError, match=r"oscal/poam\.json is missing from the package"):
        _verify(bad)


def test_verify_package_catches_an_added_file(atlas_package, tmp_path):
    _, path = atlas_package
    bad = _rewrite(path, tmp_path / "added.zip", add={"documents/extra.pdf": b"%PDF-1.4 not from the company"})
    with pytest.raises(CommandError, match=r"documents/extra\.pdf is not listed in the signed manifest"):
        _verify(bad)


def test_verify_package_catches_a_manifest_resigned_with_another_key(atlas_package, tmp_path):
    _, path = atlas_package
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        pdf = zf.read("interim-report.pdf") + b"\n% appended"
    entry = next(f for f in manifest["files"] if f["path"] == "interim-report.pdf")
    entry.update(sha256=hashlib.sha256(pdf).hexdigest(), bytes=len(pdf))
    body = json.dumps(manifest).encode()
    forged = _rewrite(path, tmp_path / "resigned.zip", replace={
        "interim-report.pdf": pdf, MANIFEST: body, SIGNATURE: sign(body, Ed25519PrivateKey.generate()),
    })
    with pytest.raises(CommandError, match=r"manifest\.json: the signature does not match the public key"):
        _verify(forged)


def test_verify_package_takes_the_published_public_key(atlas_package, tmp_path, demo, login):
    _, path = atlas_package
    pem = login(demo["liaison_contoso"]).get(reverse("signing_key"), {"format": "pem"}).content
    (tmp_path / "portal.pem").write_bytes(pem)
    assert _verify(path, "--public-key", str(tmp_path / "portal.pem")).startswith("OK: ")
    other = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "other.pem").write_bytes(other)
    with pytest.raises(CommandError, match="signature does not match"):
        _verify(path, "--public-key", str(tmp_path / "other.pem"))


def test_verify_package_refuses_what_is_not_a_package(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="not a readable zip file"):
        _verify(tmp_path / "x.zip")
    with zipfile.ZipFile(tmp_path / "y.zip", "w") as zf:
        zf.writestr("closing-report.pdf", b"%PDF")
    with pytest.raises(CommandError, match="manifest.json is missing"):
        _verify(tmp_path / "y.zip")


def test_company_package_holds_only_what_the_company_may_see(demo, media, tmp_path):
    from findings.models import Finding

    review = demo["atlas_mini"]
    package = _built(review, demo["liaison_northwind"])
    path = _copy(package, tmp_path)
    assert _verify(path).startswith("OK: ")
    with zipfile.ZipFile(path) as zf:
        text = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".json")).decode()
    for f in Finding.objects.filter(review=review):  # the demo's two: NSA's internal, CISA's shared with agencies
        assert f.title not in text
    for name in ("Lee Lead", "Riley Reviewer", "Cameron Lead", "Casey Reviewer", "reviewer.nsa", "reviewer.cisa"):
        assert name not in text
    assert package.audience == "Northwind AI" and package.audience_kind == "company"


def test_hashes_only_package_leaves_the_files_out_but_signs_their_hashes(demo, media, tmp_path):
    package = _built(demo["atlas"], demo["lead_nsa"], include_files=False)
    path = _copy(package, tmp_path)
    assert _verify(path).startswith("OK: ")
    with zipfile.ZipFile(path) as zf:
        assert not [n for n in zf.namelist() if n.startswith("documents/")]
        manifest = json.loads(zf.read(MANIFEST))
    assert {d["sha256"] for d in manifest["documents_not_included"]} == set(
        DocumentVersion.objects.filter(document__review=demo["atlas"]).values_list("sha256", flat=True)
    )


def test_package_over_the_size_limit_is_refused_with_its_size(demo, media):
    before = (ExportPackage.objects.count(), AuditEvent.objects.count())
    with override_settings(PORTAL_PACKAGE_MAX_BYTES=10), pytest.raises(services.PackageTooLarge, match=r"would be .* bytes\), over the limit of 10 bytes"):
        services.package_request(review=demo["atlas"], user=demo["admin"])
    assert (ExportPackage.objects.count(), AuditEvent.objects.count()) == before
    # Hashes only fits any limit.
    with override_settings(PORTAL_PACKAGE_MAX_BYTES=10):
        services.package_request(review=demo["atlas"], user=demo["admin"], include_files=False)


def test_stored_file_that_does_not_match_its_recorded_hash_fails_the_package(demo, media):
    version = DocumentVersion.objects.filter(document__review=demo["atlas"]).first()
    DocumentVersion.objects.filter(pk=version.pk).update(sha256="0" * 64)
    package = services.package_request(review=demo["atlas"], user=demo["admin"])
    assert package_build(package_id=package.pk) == PackageStatus.FAILED
    package.refresh_from_db()
    assert "does not match the SHA-256 recorded at upload" in package.error and not package.file


def test_package_records_each_packaged_version_as_a_download(demo, media):
    from exports.packages import package_plan

    before = set(DocumentAccess.objects.filter(user=demo["admin"]).values_list("id", flat=True))
    plan = package_plan(review=demo["atlas"], user=demo["admin"])
    assert plan.versions and plan.left_out  # the demo's CUI PDF is watermarked per reader: hash only
    _built(demo["atlas"], demo["admin"])
    new = DocumentAccess.objects.filter(user=demo["admin"]).exclude(id__in=before)
    assert sorted(new.values_list("version_id", "action")) == sorted((v.pk, "download") for v in plan.versions)


def test_requester_who_lost_the_review_gets_a_failed_package(demo, media):
    from reviews.services import assignment_remove

    review = demo["atlas"]
    package = services.package_request(review=review, user=demo["reviewer_nsa"])
    assignment = review.assignments.get(reviewer=demo["reviewer_nsa"])
    assignment_remove(assignment_id=assignment.pk, actor=demo["lead_nsa"], reason="Moved on")
    assert package_build(package_id=package.pk) == PackageStatus.FAILED
    assert not ExportPackage.objects.get(pk=package.pk).file


def test_package_pages_show_progress_and_download_to_the_requester_only(demo, media, login, django_capture_on_commit_callbacks):
    from unittest import mock

    review = demo["atlas"]
    client = login(demo["lead_nsa"], accept_terms_for=[review])
    with mock.patch("exports.tasks.build_package.delay") as delay, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("review_package_request", kwargs={"pk": review.pk}))
    assert response.status_code == 302
    package = ExportPackage.objects.get(requested_by=demo["lead_nsa"])
    delay.assert_called_once_with(package.pk)
    page = client.get(reverse("review_package", kwargs={"pk": review.pk})).content.decode()
    assert "Queued" in page and "<progress" in page and 'hx-trigger="every 2s"' in page
    package_build(package_id=package.pk)
    partial = client.get(reverse("review_package", kwargs={"pk": review.pk}), HTTP_HX_REQUEST="true").content.decode()
    assert "Ready" in partial and "hx-trigger" not in partial and reverse("package_download", kwargs={"pk": package.pk}) in partial
    download = client.get(reverse("package_download", kwargs={"pk": package.pk}))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == ExportPackage.objects.get(pk=package.pk).sha256
    # The export log: the request and the download, by NSA's lead, for NSA.
    events = AuditEvent.objects.filter(action__startswith="export.package", review_id=review.pk).order_by("id")
    assert [(e.action, e.actor, e.payload["audience"]) for e in events] == [
        ("export.package", demo["lead_nsa"], "NSA"), ("export.package_download", demo["lead_nsa"], "NSA"),
    ]
    # Someone else who sees the same review does not get this lead's package.
    other = login(demo["reviewer_nsa"], accept_terms_for=[review])
    assert other.get(reverse("package_download", kwargs={"pk": package.pk})).status_code == 404
    assert login(demo["liaison_northwind"]).get(reverse("package_download", kwargs={"pk": package.pk})).status_code == 404


def test_package_request_out_of_scope_is_404_and_writes_nothing(demo, login):
    client = login(demo["liaison_contoso"])
    before = (ExportPackage.objects.count(), AuditEvent.objects.count())
    assert client.post(reverse("review_package_request", kwargs={"pk": demo["atlas"].pk})).status_code == 404
    assert client.get(reverse("review_package", kwargs={"pk": demo["atlas"].pk})).status_code == 404
    assert (ExportPackage.objects.count(), AuditEvent.objects.count()) == before


def test_size_refusal_is_shown_on_the_page(demo, login, media):
    review = demo["atlas"]
    client = login(demo["lead_nsa"], accept_terms_for=[review])
    with override_settings(PORTAL_PACKAGE_MAX_BYTES=10):
        page = client.post(reverse("review_package_request", kwargs={"pk": review.pk}), follow=True).content.decode()
    assert "over the limit of 10 bytes" in page and not ExportPackage.objects.exists()
