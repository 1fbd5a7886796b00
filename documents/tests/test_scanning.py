"""Virus scanning with a real clamd (see conftest.py): clean, infected, and failing closed."""

from __future__ import annotations

import pytest

from documents import scans
from django.core import mail
from django.urls import reverse

from documents.models import DocumentVersion, ScanStatus
from documents.tasks import scan_version
from notifications.models import Notification

from .factories import EICAR, make_document, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    """Tasks queued with .delay() run in-process (Celery's own eager mode) for this test."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def upload_and_scan(demo, django_capture_on_commit_callbacks, *, name, content, kind="other"):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        version = make_document(demo["atlas"], name=name, content=content, kind=kind)
    assert callbacks, "the scan is queued after commit"
    version.refresh_from_db()
    return version


def test_clean_file_becomes_downloadable_after_its_scan(demo, login, scanning, eager_celery, django_capture_on_commit_callbacks):
    # Before the scan runs, the version is pending and only its uploader may fetch it.
    with django_capture_on_commit_callbacks(execute=False):
        pending = make_document(demo["atlas"], name="notes.txt", content=b"plain notes\n", kind="other")
    assert pending.scan_status == ScanStatus.PENDING and pending.scan_detail == "Waiting for the virus scan."
    reviewer = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    assert reviewer.get(reverse("version_download", kwargs={"pk": pending.pk})).status_code == 302

    version = upload_and_scan(demo, django_capture_on_commit_callbacks, name="card.pdf", content=pdf_bytes())
    assert version.scan_status == ScanStatus.CLEAN and version.scanned_at is not None
    assert reviewer.get(reverse("version_download", kwargs={"pk": version.pk})).status_code == 200


def test_eicar_is_quarantined_and_uploader_and_admins_are_told(demo, login, scanning, eager_celery, django_capture_on_commit_callbacks):
    version = upload_and_scan(demo, django_capture_on_commit_callbacks, name="eicar.txt", content=EICAR)
    assert version.scan_status == ScanStatus.INFECTED
    assert "eicar" in version.scan_detail.lower()
    told = set(Notification.objects.filter(verb="document.quarantined").values_list("recipient__email", flat=True))
    assert told == {"liaison@northwind.example", "admin@portal.example"}
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@portal.example", "liaison@northwind.example"]
    assert all(len(m.to) == 1 for m in mail.outbox)
    for role in ("liaison_northwind", "admin"):
        response = login(demo[role]).get(reverse("version_download", kwargs={"pk": version.pk}))
        assert response.status_code == 302
    # A later scan result never lifts the quarantine.
    scans.scan_result_record(version_id=version.pk, status=ScanStatus.CLEAN, detail="No threat found.")
    version.refresh_from_db()
    assert version.scan_status == ScanStatus.INFECTED


def test_scanner_down_leaves_the_version_pending_with_the_reason(demo, login, scanning, settings, tmp_path):
    settings.CLAMAV_URL = f"unix://{tmp_path / 'no-clamd.sock'}"
    version = make_document(demo["atlas"], name="notes.txt", content=b"notes\n", kind="other")
    assert scan_version.apply(args=[version.pk]).get() == ScanStatus.PENDING
    version.refresh_from_db()
    assert version.scan_status == ScanStatus.PENDING
    assert "unavailable" in version.scan_detail
    reviewer = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    assert reviewer.get(reverse("version_download", kwargs={"pk": version.pk})).status_code == 302
    page = reviewer.get(reverse("document_detail", kwargs={"pk": version.document_id})).content.decode()
    assert "unavailable" in page and "Files are not scanned" not in page


def test_file_larger_than_clamd_scans_stays_pending(demo, scanning):
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    version = make_document(demo["atlas"], name="big.pdf", content=big, kind="other")
    scan_version.apply(args=[version.pk])
    version.refresh_from_db()
    assert version.scan_status == ScanStatus.PENDING
    assert "larger than the scanner accepts" in version.scan_detail


def test_without_clamav_versions_say_they_are_not_scanned(demo):
    version = DocumentVersion.objects.filter(document__review=demo["atlas"]).first()
    assert version.scan_status == ScanStatus.NOT_SCANNED
    assert set(DocumentVersion.objects.values_list("scan_status", flat=True)) == {ScanStatus.NOT_SCANNED}


def test_new_version_upload_view_adds_a_version(demo, login):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="model_card")
    client = login(demo["liaison_northwind"])
    response = client.post(
        reverse("document_version_upload", kwargs={"pk": version.document_id}),
        {"files": [upload("card-v2.pdf", pdf_bytes("v2"))], "marking": version.marking_id, "confirm_new_name": "on"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200 and response.json()["results"][0]["ok"]
    assert list(version.document.versions.order_by("number").values_list("number", "original_name")) == [
        (1, version.original_name),
        (2, "card-v2.pdf"),
    ]


def test_pending_versions_are_requeued_and_scanned(demo, scanning, eager_celery):
    from datetime import timedelta

    from django.utils import timezone

    from documents.tasks import requeue_pending_scans

    old = make_document(demo["atlas"], name="old.txt", content=b"old\n", kind="other")
    fresh = make_document(demo["atlas"], name="fresh.txt", content=b"fresh\n", kind="other")
    DocumentVersion.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - timedelta(minutes=11))
    assert requeue_pending_scans() == 1
    assert DocumentVersion.objects.get(pk=old.pk).scan_status == ScanStatus.CLEAN
    assert DocumentVersion.objects.get(pk=fresh.pk).scan_status == ScanStatus.PENDING
