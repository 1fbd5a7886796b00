"""Uploads and downloads through the API: the web upload's streaming, checks, hashing and scanning."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from documents.models import Document, DocumentAccess, DocumentVersion, HandlingMarking, ScanStatus
from documents.tests.factories import EICAR, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def stored(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT) / "documents"
    return {p.name for p in root.iterdir()} if root.exists() else set()


def _upload(client, review, name, content, **extra):
    data = {"review": review.pk, "kind": "model_card", "file": SimpleUploadedFile(name, content, "application/octet-stream"), **extra}
    return client.post("/api/v1/documents/", data, format="multipart")


def test_upload_stores_version_with_hash_and_detected_type(demo, api, settings):
    content = pdf_bytes("pipeline card")
    response = _upload(api(demo["liaison_northwind"]), demo["atlas_mini"], "card.bin", content, title="Card from CI",
                       sha256=hashlib.sha256(content).hexdigest())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Card from CI" and body["kind"] == "model_card" and body["marking"] == "Proprietary — pre-release"
    [version] = body["versions"]
    assert version["sha256"] == hashlib.sha256(content).hexdigest()
    assert version["content_type"] == "application/pdf"  # from the bytes, not the name or the claimed type
    assert version["size"] == len(content) and version["original_name"] == "card.bin"
    assert version["scan_status"] == ScanStatus.NOT_SCANNED
    event = AuditEvent.objects.filter(action="document.upload").latest("id")
    assert event.payload["sha256"] == version["sha256"] and event.actor_id == demo["liaison_northwind"].pk


def test_upload_with_a_wrong_sha256_is_refused_and_stores_nothing(demo, api, settings):
    before_files, before_docs = stored(settings), Document.objects.count()
    content = pdf_bytes()
    response = _upload(api(demo["liaison_northwind"]), demo["atlas_mini"], "card.pdf", content, sha256="0" * 64)
    assert response.status_code == 400
    computed = hashlib.sha256(content).hexdigest()
    assert response.json() == {"errors": [{
        "field": "sha256", "code": "invalid",
        "message": f"The file's SHA-256 is {computed}, not {'0' * 64}: it changed on the way; nothing was stored.",
    }]}
    assert (stored(settings), Document.objects.count()) == (before_files, before_docs)


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 200, "tool.exe refused: its content is application/x-dosexec, which is not an accepted type."),
        ("empty.pdf", b"", "empty.pdf refused: the file is empty."),
    ],
)
def test_upload_of_a_refused_type_or_empty_file_is_400_on_file(demo, api, settings, name, content, message):
    before_files, before_versions = stored(settings), DocumentVersion.objects.count()
    response = _upload(api(demo["liaison_northwind"]), demo["atlas_mini"], name, content)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["field"], e["message"]) for e in errors] == [("file", message)] or (
        content == b"" and errors[0]["field"] == "file"
    )
    assert (stored(settings), DocumentVersion.objects.count()) == (before_files, before_versions)


def test_upload_larger_than_the_limit_is_dropped_while_streaming(demo, api, settings, tmp_path):
    settings.PORTAL_UPLOAD_MAX_BYTES = 1024
    before = stored(settings)
    response = _upload(api(demo["liaison_northwind"]), demo["atlas_mini"], "big.txt", b"x" * 5000)
    assert response.status_code == 400
    assert response.json() == {"errors": [{"field": "file", "code": "invalid", "message": "big.txt: refused: larger than the 1.0 KiB limit."}]}
    assert stored(settings) == before and not DocumentVersion.objects.filter(original_name="big.txt").exists()


def test_upload_with_a_path_in_the_name_is_refused(demo, api, settings):
    boundary = "BoUnDaRy"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"review\"\r\n\r\n{demo['atlas_mini'].pk}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nother\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../etc/passwd\"\r\n"
        "Content-Type: text/plain\r\n\r\nhello\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    before = stored(settings)
    response = api(demo["liaison_northwind"]).generic(
        "POST", "/api/v1/documents/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    assert stored(settings) == before
    assert response.json()["errors"] == [
        {"field": "file", "code": "invalid", "message": "../etc/passwd: refused: the name contains a path separator."}
    ]


def test_agency_users_cannot_upload_and_nothing_is_stored(demo, api, settings):
    before = stored(settings), DocumentVersion.objects.count()
    client = api(demo["lead_nsa"], accept_terms_for=[demo["atlas"]])
    response = _upload(client, demo["atlas"], "card.pdf", pdf_bytes())
    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == "Only the company's liaisons upload documents to an open review."
    assert (stored(settings), DocumentVersion.objects.count()) == before


def test_new_version_through_the_api_keeps_the_old(demo, api):
    document = Document.objects.get(review=demo["atlas"], kind="model_card")
    client = api(demo["liaison_northwind"])
    content = png_bytes()
    response = client.post(
        f"/api/v1/documents/{document.pk}/versions/",
        {"file": SimpleUploadedFile("diagram.png", content), "sha256": hashlib.sha256(content).hexdigest(), "confirm_new_name": "true"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 2 and response.json()["content_type"] == "image/png"
    assert list(document.versions.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_json_to_the_upload_endpoint_is_415(demo, api):
    response = api(demo["liaison_northwind"]).post("/api/v1/documents/", {"review": demo["atlas"].pk}, format="json")
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"


def test_download_streams_the_file_and_records_it(demo, api):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="evaluation_results")
    client = api(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    before = DocumentAccess.objects.count()
    response = client.get(f"/api/v1/versions/{version.pk}/download/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == version.sha256 == response["X-Content-SHA256"]
    assert "attachment" in response["Content-Disposition"]
    access = DocumentAccess.objects.latest("id")
    assert DocumentAccess.objects.count() == before + 1
    assert (access.user, access.action, access.version_id) == (demo["reviewer_nsa"], "download", version.pk)
    assert AuditEvent.objects.filter(action="document.download", actor=demo["reviewer_nsa"]).exists()


def test_cui_pdf_download_is_watermarked_as_on_the_web(demo, api):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="model_card")
    response = api(demo["lead_nsa"], accept_terms_for=[demo["atlas"]]).get(f"/api/v1/versions/{version.pk}/download/")
    assert response.status_code == 200 and response["X-Watermarked"] == "1"


def test_view_only_marking_refuses_the_api_download(demo, api):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="evaluation_results")
    HandlingMarking.objects.filter(pk=version.document.marking_id).update(downloads_allowed=False)
    before = DocumentAccess.objects.count()
    response = api(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]]).get(f"/api/v1/versions/{version.pk}/download/")
    assert response.status_code == 403
    assert response.json() == {"errors": [{"field": None, "code": "permission_denied",
                                           "message": f"The marking {version.marking} allows viewing only."}]}
    assert DocumentAccess.objects.count() == before


def test_material_waits_for_the_access_terms(demo, api):
    from reviews.services import terms_update

    # The demo reviewer accepted the terms once; new terms close the material again.
    terms_update(review=demo["atlas"], actor=demo["liaison_northwind"], text="Revised terms.")
    client = api(demo["reviewer_nsa"])
    atlas = demo["atlas"].pk

    def atlas_documents():
        return [d["id"] for d in client.get("/api/v1/documents/?page_size=100").json()["results"] if d["review"] == atlas]

    assert atlas_documents() == []  # their other review's material (terms accepted) still lists
    version = DocumentVersion.objects.filter(document__review=demo["atlas"]).first()
    response = client.get(f"/api/v1/versions/{version.pk}/download/")
    assert response.status_code == 403 and response.json()["errors"][0]["code"] == "terms_required"
    assert client.post(f"/api/v1/reviews/{atlas}/accept-terms/").status_code == 200
    assert sorted(atlas_documents()) == sorted(Document.objects.filter(review_id=atlas).values_list("pk", flat=True))
    assert len(atlas_documents()) == 3
    assert client.get(f"/api/v1/versions/{version.pk}/download/").status_code == 200


def test_api_upload_is_scanned_and_eicar_is_quarantined(
    demo, api, scanning, eager_celery, django_capture_on_commit_callbacks
):
    client = api(demo["liaison_northwind"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _upload(client, demo["atlas_mini"], "eicar.txt", EICAR)
    assert response.status_code == 201, response.content
    assert response.json()["versions"][0]["scan_status"] == ScanStatus.PENDING
    assert callbacks, "the scan is queued after commit"
    version = DocumentVersion.objects.get(pk=response.json()["versions"][0]["id"])
    assert version.scan_status == ScanStatus.INFECTED
    download = client.get(f"/api/v1/versions/{version.pk}/download/")
    assert download.status_code == 403
    assert download.json()["errors"][0]["message"] == "This version is quarantined: the virus scan found a threat."
