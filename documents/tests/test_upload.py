"""Uploads: streaming, integrity, versions, and every kind of bad input."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from audit.models import AuditEvent
from documents import services
from documents.models import Document, DocumentVersion, ScanStatus
from documents.uploads import HashingUploadHandler

from .factories import make_document, marking, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def stored_files(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT) / "documents"
    return {p.name for p in root.iterdir()} if root.exists() else set()


@pytest.fixture
def new_files(demo, settings):
    """Files stored since the demo world was built."""
    before = stored_files(settings)
    return lambda: stored_files(settings) - before


def new_versions(demo) -> list[str]:
    return list(DocumentVersion.objects.filter(document__review=demo["atlas_mini"]).order_by("id").values_list("original_name", flat=True))


def post_files(client, review, files, *, kind="model_card", mark=None, json=False, **extra):
    data = {"kind": kind, "marking": (mark or marking()).pk, "title": "", "files": files}
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post(reverse("review_documents", kwargs={"pk": review.pk}), data, **headers, **extra)


def test_service_stores_version_with_integrity_facts(demo, settings):
    content = pdf_bytes("Atlas card")
    before = stored_files(settings)
    version = make_document(demo["atlas_mini"], name="atlas-card.pdf", content=content)
    assert version.number == 1
    assert version.size == len(content)
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.content_type == "application/pdf"
    assert version.original_name == "atlas-card.pdf"
    assert version.uploaded_by == demo["liaison_northwind"]
    assert version.scan_status == ScanStatus.NOT_SCANNED
    assert "not scanned" in version.scan_detail
    # The stored name is random, not the original name, and outside any static folder.
    assert version.file.name.startswith("documents/") and "atlas" not in version.file.name
    assert stored_files(settings) - before == {Path(version.file.name).name}
    with default_storage.open(version.file.name, "rb") as fh:
        assert fh.read() == content
    event = AuditEvent.objects.filter(action="document.upload").latest("id")
    assert event.payload["sha256"] == version.sha256 and event.review_id == demo["atlas_mini"].pk


def test_new_upload_adds_a_version_and_keeps_the_old(demo):
    first = make_document(demo["atlas_mini"], content=pdf_bytes("one"))
    second = services.version_create(
        document=first.document, actor=demo["liaison_northwind"], file=upload("card-v2.pdf", pdf_bytes("two")), original_name="card-v2.pdf",
        confirm_new_name=True,
    )
    assert (first.document_id, second.number) == (second.document_id, 2)
    first.refresh_from_db()
    assert first.number == 1 and first.sha256 == hashlib.sha256(pdf_bytes("one")).hexdigest()
    assert default_storage.exists(first.file.name) and default_storage.exists(second.file.name)
    assert first.file.name != second.file.name
    assert DocumentVersion.objects.filter(document=first.document).count() == 2


def test_only_the_company_liaison_uploads_and_only_while_open(demo):
    from django.core.exceptions import PermissionDenied

    for role in ("admin", "lead_nsa", "reviewer_nsa", "liaison_contoso"):
        with pytest.raises(PermissionDenied):
            services.document_create(
                review=demo["atlas_mini"], actor=demo[role], kind="model_card", title="", marking=marking(),
                file=upload("a.pdf", pdf_bytes()), original_name="a.pdf",
            )
    assert not Document.objects.filter(review=demo["atlas_mini"]).exists()


def test_type_comes_from_the_bytes_not_the_name(demo):
    png = make_document(demo["atlas_mini"], name="picture.pdf", content=png_bytes(), kind="other")
    assert png.content_type == "image/png"
    csv = make_document(demo["atlas_mini"], name="results.csv", content=b"task,score\nctf,0.42\n", kind="evaluation_results")
    assert csv.content_type in ("text/csv", "text/plain")


BAD = [
    ("empty.pdf", b"", "the file is empty"),
    ("tool.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 400, "not an accepted type"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD)
def test_bad_file_is_refused_by_name_and_reason_and_leaves_nothing(demo, login, settings, new_files, name, content, reason):
    client = login(demo["liaison_northwind"])
    good = pdf_bytes("good")
    response = post_files(client, demo["atlas_mini"], [upload(name, content), upload("good.pdf", good)], json=True)
    assert response.status_code == 400
    results = response.json()["results"]
    bad_result = next(r for r in results if r["name"] == name)
    assert not bad_result["ok"] and name in bad_result["message"] and reason in bad_result["message"]
    # The good file in the same request was stored; the bad one left no version and no file.
    assert new_versions(demo) == ["good.pdf"]
    assert len(new_files()) == 1


def test_file_over_the_maximum_is_refused_while_streaming(demo, login, settings, new_files):
    settings.PORTAL_UPLOAD_MAX_BYTES = 300 * 1024
    client = login(demo["liaison_northwind"])
    big = b"%PDF-1.4\n" + os.urandom(400 * 1024)
    response = post_files(client, demo["atlas_mini"], [upload("huge.pdf", big), upload("small.pdf", pdf_bytes())], json=True)
    results = {r["name"]: r for r in response.json()["results"]}
    assert "larger than the 300.0 KiB limit" in results["huge.pdf"]["message"]
    assert results["small.pdf"]["ok"]
    assert new_versions(demo) == ["small.pdf"]
    assert len(new_files()) == 1


@pytest.mark.parametrize(
    ("raw_name", "reason"),
    [("../../etc/passwd.pdf", "path separator"), ("dir\\\\evil.pdf", "path separator"), ("bad\x07name.pdf", "control characters")],
)
def test_names_with_separators_or_control_characters_are_refused(demo, login, settings, new_files, raw_name, reason):
    client = login(demo["liaison_northwind"])
    boundary = "BoUnDaRy"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nmodel_card\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"marking\"\r\n\r\n{marking().pk}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{raw_name}\"\r\n"
        f"Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf_bytes() + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"fine.pdf\"\r\n"
        f"Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf_bytes("fine") + f"\r\n--{boundary}--\r\n".encode()
    response = client.generic(
        "POST", reverse("review_documents", kwargs={"pk": demo["atlas_mini"].pk}), body,
        content_type=f"multipart/form-data; boundary={boundary}", HTTP_ACCEPT="application/json",
    )
    results = response.json()["results"]
    refused = [r for r in results if not r["ok"]]
    assert len(refused) == 1 and reason in refused[0]["message"]
    assert new_versions(demo) == ["fine.pdf"]
    assert len(new_files()) == 1


def test_upload_cut_off_midway_is_refused_and_leaves_nothing(demo, login, settings, new_files, tmp_path):
    client = login(demo["liaison_northwind"])
    boundary = "BoUnDaRy"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nmodel_card\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"marking\"\r\n\r\n{marking().pk}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"whole.pdf\"\r\n\r\n"
    ).encode() + pdf_bytes("whole") + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"partial.pdf\"\r\n\r\n"
    ).encode() + pdf_bytes("partial")[:300]  # the connection drops: no closing boundary
    response = client.generic(
        "POST", reverse("review_documents", kwargs={"pk": demo["atlas_mini"].pk}), body,
        content_type=f"multipart/form-data; boundary={boundary}", HTTP_ACCEPT="application/json",
    )
    results = {r["name"]: r for r in response.json()["results"]}
    assert "cut off" in results["partial.pdf"]["message"]
    assert results["whole.pdf"]["ok"]
    assert new_versions(demo) == ["whole.pdf"]
    assert len(new_files()) == 1


def test_plain_form_reports_each_file_and_redirects(demo, login):
    client = login(demo["liaison_northwind"])
    response = post_files(client, demo["atlas_mini"], [upload("a.pdf", pdf_bytes("a")), upload("empty.txt", b"")], follow=True)
    page = response.content.decode()
    assert "a.pdf stored as version 1" in page
    assert "empty.txt refused: the file is empty" in page
    assert new_versions(demo) == ["a.pdf"]


def test_streaming_upload_and_download_above_memory_threshold_hash_end_to_end(demo, login, settings):
    """A file ten times the in-memory threshold streams through a temp file both ways."""
    size = settings.FILE_UPLOAD_MAX_MEMORY_SIZE * 10
    content = b"%PDF-1.4\n" + os.urandom(size)
    expected = hashlib.sha256(content).hexdigest()
    seen = []

    class Spy(HashingUploadHandler):
        def file_complete(self, file_size):
            uploaded = super().file_complete(file_size)
            seen.append(type(uploaded).__name__)
            return uploaded

    settings.FILE_UPLOAD_HANDLERS = ["documents.tests.test_upload.SpyHandler"]
    globals()["SpyHandler"] = Spy
    client = login(demo["liaison_northwind"])
    response = post_files(client, demo["atlas_mini"], [upload("big.pdf", content)], json=True)
    assert response.status_code == 200, response.content
    assert seen == ["TemporaryUploadedFile"]  # never held in memory
    version = DocumentVersion.objects.get(document__review=demo["atlas_mini"])
    assert version.sha256 == expected and version.size == len(content)
    reviewer = login(demo["lead_nsa"], accept_terms_for=[demo["atlas_mini"]])
    download = reviewer.get(reverse("version_download", kwargs={"pk": version.pk}))
    assert download.status_code == 200 and download.streaming
    digest = hashlib.sha256()
    for chunk in download.streaming_content:
        digest.update(chunk)
    assert digest.hexdigest() == expected == download["X-Content-SHA256"]
    assert 'attachment; filename="big.pdf"' == download["Content-Disposition"]


def test_no_upload_to_a_closed_review_and_non_liaisons_get_404(demo, login, new_files):
    from django.core.exceptions import PermissionDenied

    from reviews.tests.factories import make_review

    closed = make_review(status="closed")
    liaison = type(demo["admin"]).objects.select_related("membership").get(pk=closed.company.liaisons_group.user_set.first().pk)
    with pytest.raises(PermissionDenied):
        services.document_create(
            review=closed, actor=liaison, kind="model_card", title="", marking=marking(),
            file=upload("late.pdf", pdf_bytes()), original_name="late.pdf",
        )
    for role in ("admin", "lead_nsa"):
        client = login(demo[role], accept_terms_for=[demo["atlas_mini"]] if role == "lead_nsa" else ())
        assert post_files(client, demo["atlas_mini"], [upload("x.pdf", pdf_bytes())]).status_code == 404
    assert not Document.objects.filter(review__in=[closed, demo["atlas_mini"]]).exists()
    assert new_files() == set()
