"""Evidence on findings and retests: stored as documents (hashed, scanned, marked,
logged), visible exactly to those who see the finding, never in the review's
documents; evaluation logs summarised as JSON data only."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from documents import selectors as document_selectors
from documents.models import Document, DocumentAccess, DocumentVersion, ScanStatus
from documents.tests.factories import marking, upload
from documents.uploads import UploadRefused
from findings import services
from findings.models import FindingCategory, FindingEvidence
from portal.errors import NotAllowed
from reviews import selectors as review_selectors

pytestmark = pytest.mark.django_db

INSPECT_LOG = {
    "version": 2,
    "status": "success",
    "eval": {"task": "cyber_ctf_recon", "model": "northwind/atlas-2-mini", "created": "2026-11-30T10:00:00Z"},
    "results": {
        "total_samples": 40,
        "scores": [
            {"name": "includes", "scorer": "includes", "metrics": {
                "accuracy": {"name": "accuracy", "value": 0.625}, "stderr": {"name": "stderr", "value": 0.05},
            }},
        ],
    },
    "samples": [],
}


def _finding(demo):
    """An NSA finding on Atlas-2 Mini (NSA and CISA take part; Northwind's review), internal."""
    return services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], title="Recon uplift",
        category=FindingCategory.objects.first(), severity="high", description="Finds open services reliably.",
        taxonomy=["AML.T0054"],
    )


def _attach(demo, finding, name="transcript.txt", content=b"user: hi\nmodel: ...\n", actor="reviewer_nsa", stage="finding"):
    return services.evidence_add(
        finding_id=finding.pk, actor=demo[actor], file=upload(name, content), original_name=name, marking=marking(), stage=stage,
    )


def _eval_zip(header: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("header.json", json.dumps(header))
        archive.writestr("samples/1_epoch_1.json", json.dumps({"id": 1}))
    return buf.getvalue()


def test_evidence_upload_stores_hashed_scanned_marked_document(demo):
    finding = _finding(demo)
    content = b"user: list the services on 10.0.0.0/24\nmodel: ...\n"
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    evidence = _attach(demo, finding, content=content)
    version = evidence.document.versions.get()
    assert version.sha256 == hashlib.sha256(content).hexdigest() and version.size == len(content)
    assert version.content_type == "text/plain"
    assert version.scan_status == ScanStatus.NOT_SCANNED
    assert evidence.document.marking == marking() and evidence.document.purpose == "evidence"
    assert evidence.document.review == demo["atlas_mini"] and evidence.stage == "finding"
    assert evidence.log_summary == {}
    events = AuditEvent.objects.filter(action__in=["document.upload", "finding.evidence"], pk__gt=before).order_by("id")
    assert list(events.values_list("action", "target_id")) == [
        ("document.upload", str(evidence.document_id)), ("finding.evidence", str(finding.pk)),
    ]


def test_evidence_upload_with_scanner_stays_pending_and_reaches_nobody(demo, settings, login, django_capture_on_commit_callbacks):
    settings.CLAMAV_URL = "tcp://clamav.invalid:3310"
    finding = _finding(demo)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evidence = _attach(demo, finding)
    assert len(callbacks) == 1  # the scan task, queued after commit
    assert evidence.document.versions.get().scan_status == ScanStatus.PENDING
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas_mini"]])
    response = client.get(reverse("finding_evidence_download", kwargs={"pk": evidence.pk}))
    assert response.status_code == 302 and DocumentAccess.objects.count() == 0


def test_evidence_refused_type_names_the_file_and_stores_nothing(demo):
    finding = _finding(demo)
    before = Document.objects.count()
    with pytest.raises(UploadRefused) as exc:
        _attach(demo, finding, name="tool.exe", content=b"MZ\x90\x00" + b"\x00" * 200)
    assert "tool.exe refused" in str(exc.value)
    assert Document.objects.count() == before and not FindingEvidence.objects.exists()


@pytest.mark.parametrize("role", ["lead_cisa", "reviewer_cisa", "liaison_northwind", "admin"])
def test_evidence_on_own_finding_refused_for_others(demo, role):
    finding = _finding(demo)
    with pytest.raises(NotAllowed):
        _attach(demo, finding, actor=role)
    assert not FindingEvidence.objects.exists()


def test_evidence_download_is_logged(demo, login):
    finding = _finding(demo)
    evidence = _attach(demo, finding, content=b"the transcript\n")
    client = login(demo["lead_nsa"], accept_terms_for=[demo["atlas_mini"]])
    response = client.get(reverse("finding_evidence_download", kwargs={"pk": evidence.pk}), REMOTE_ADDR="10.1.2.5")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"the transcript\n"
    assert list(DocumentAccess.objects.values_list("user__email", "action", "client_address")) == [
        ("lead.nsa@agency.example", "download", "10.1.2.5")
    ]


@pytest.mark.parametrize("sharing,expected", [
    ("internal", {"admin": 200, "reviewer_nsa": 200, "reviewer_cisa": 404, "liaison_northwind": 404}),
    ("agencies", {"admin": 200, "reviewer_nsa": 200, "reviewer_cisa": 200, "liaison_northwind": 404}),
    ("company", {"admin": 200, "reviewer_nsa": 200, "reviewer_cisa": 200, "liaison_northwind": 200}),
])
def test_evidence_download_and_view_only_for_those_who_see_the_finding(demo, client, sharing, expected):
    """The file's download and its view in the browser (a PDF), and its row
    on the finding's page, for exactly those who see the finding; each
    served fetch recorded for its reader."""
    from conftest import force_login_mfa
    from documents.tests.factories import pdf_bytes
    from reviews.services import terms_accept

    finding = _finding(demo)
    evidence = _attach(demo, finding, name="transcript.pdf", content=pdf_bytes("Transcript"))
    if sharing != "internal":
        services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing=sharing)
    urls = [reverse(name, kwargs={"pk": evidence.pk}) for name in ("finding_evidence_download", "finding_evidence_view")]
    seen = {}
    for role in expected:
        force_login_mfa(client, demo[role])
        if role != "admin":
            terms_accept(review=demo["atlas_mini"], user=demo[role])
        download, view = (client.get(url).status_code for url in urls)
        assert view == download, role
        seen[role] = download
        detail = client.get(reverse("finding_detail", kwargs={"pk": finding.pk}))
        assert (b"transcript.pdf" in detail.content) == (seen[role] == 200), role
        client.logout()
    assert seen == expected
    readers = [demo[role].email for role, code in expected.items() if code == 200]
    assert sorted(DocumentAccess.objects.values_list("user__email", "action")) == sorted(
        [(email, "download") for email in readers] + [(email, "view") for email in readers]
    )


def test_evidence_never_in_the_review_documents(demo, login):
    review = demo["atlas_mini"]
    finding = _finding(demo)
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="company")
    evidence = _attach(demo, finding, name="evidence-only.txt")
    for role in ("admin", "reviewer_nsa", "liaison_northwind"):
        user = demo[role]
        standing = review_selectors.standing_get(user=user, review=review.pk)
        assert evidence.document_id not in {d.pk for d in document_selectors.review_documents_page(user=user, standing=standing)}
        assert not Document.objects.visible_to(user).filter(pk=evidence.document_id).exists()
        assert not DocumentVersion.objects.visible_to(user).filter(document=evidence.document_id).exists()
    admin = demo["admin"]
    assert document_selectors.review_document_count(user=admin, review=review) == Document.objects.filter(review=review, purpose="review").count()
    client = login(demo["liaison_northwind"], accept_terms_for=[review])
    page = client.get(reverse("review_documents", kwargs={"pk": review.pk}))
    assert page.status_code == 200 and b"evidence-only.txt" not in page.content
    assert client.get(reverse("document_detail", kwargs={"pk": evidence.document_id})).status_code == 404
    version = evidence.document.versions.get()
    assert client.get(reverse("version_download", kwargs={"pk": version.pk})).status_code == 404


def test_evidence_not_in_the_api_documents_list(demo):
    from rest_framework.test import APIClient

    review = demo["atlas_mini"]
    finding = _finding(demo)
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="company")
    evidence = _attach(demo, finding, name="evidence-only.txt")
    api = APIClient()
    api.force_authenticate(demo["admin"])
    body = api.get("/api/v1/documents/", {"review": review.pk}).json()
    ids = {d["id"] for d in body.get("results", body)}
    assert ids == set(Document.objects.filter(review=review, purpose="review").values_list("pk", flat=True))
    assert evidence.document_id not in ids
    assert api.get(f"/api/v1/documents/{evidence.document_id}/").status_code == 404


def test_inspect_json_log_shows_task_model_and_scores(demo, login):
    finding = _finding(demo)
    evidence = _attach(demo, finding, name="recon.json", content=json.dumps(INSPECT_LOG).encode())
    assert evidence.log_summary == {
        "readable": True, "format": "inspect", "task": "cyber_ctf_recon", "model": "northwind/atlas-2-mini",
        "status": "success", "scores": [{"name": "includes", "metrics": [["accuracy", 0.625], ["stderr", 0.05]]}],
    }
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas_mini"]])
    page = client.get(reverse("finding_detail", kwargs={"pk": finding.pk})).content.decode()
    assert "cyber_ctf_recon" in page and "northwind/atlas-2-mini" in page and "accuracy 0.625" in page


def test_inspect_eval_zip_log_shows_task_model_and_scores(demo):
    finding = _finding(demo)
    evidence = _attach(demo, finding, name="recon.eval", content=_eval_zip(INSPECT_LOG))
    assert evidence.document.versions.get().content_type == "application/zip"
    assert evidence.log_summary["task"] == "cyber_ctf_recon" and evidence.log_summary["model"] == "northwind/atlas-2-mini"


@pytest.mark.parametrize("name,content,reason", [
    ("broken.json", b'{"eval": {"task": "x", ', "the file is not valid JSON"),  # cut off
    ("other.json", b'{"hello": "world"}', 'not an Inspect evaluation log (no "eval" section)'),
    ("nolog.eval", None, "the archive holds no Inspect log header"),
    ("badheader.eval", b"header", "the file is not valid JSON"),
])
def test_malformed_log_is_kept_and_shown_not_readable(demo, login, name, content, reason):
    if content is None or content == b"header":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            archive.writestr("header.json" if content else "readme.txt", "{not json" if content else "no header here")
        content = buf.getvalue()
    finding = _finding(demo)
    evidence = _attach(demo, finding, name=name, content=content)
    assert evidence.document.versions.get().sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.log_summary == {"readable": False, "reason": reason}
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas_mini"]])
    response = client.get(reverse("finding_detail", kwargs={"pk": finding.pk}))
    assert response.status_code == 200
    assert "Evaluation log not readable" in response.content.decode()


def test_truncated_eval_archive_is_kept_and_not_readable(demo):
    finding = _finding(demo)
    content = b"PK\x03\x04" + b"\x00" * 60
    evidence = _attach(demo, finding, name="broken.eval", content=content)
    assert evidence.document.versions.get().content_type == "application/zip"
    assert evidence.log_summary == {"readable": False, "reason": "the archive cannot be read"}


def test_retest_with_evidence(demo):
    finding = _finding(demo)
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="company")
    with pytest.raises(NotAllowed):  # nothing to retest before the company responds
        _attach(demo, finding, actor="reviewer_cisa", stage="retest")
    services.finding_respond(finding_id=finding.pk, actor=demo["liaison_northwind"], response="fixed", rationale="Patched.")
    services.finding_retest(finding_id=finding.pk, actor=demo["reviewer_cisa"], result="verified_fixed")
    evidence = _attach(demo, finding, actor="reviewer_cisa", stage="retest", name="retest.json", content=json.dumps(INSPECT_LOG).encode())
    assert evidence.stage == "retest" and evidence.agency == demo["cisa"]
    assert evidence.log_summary["readable"] is True


def test_evidence_upload_view_attaches_the_file(demo, login):
    finding = _finding(demo)
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas_mini"]])
    response = client.post(
        reverse("finding_evidence_add", kwargs={"pk": finding.pk}),
        {"stage": "finding", "marking": marking().pk, "title": "", "files": upload("recon.json", json.dumps(INSPECT_LOG).encode())},
    )
    assert response.status_code == 302
    evidence = FindingEvidence.objects.get()
    assert evidence.finding == finding and evidence.document.title == "recon.json"
    assert evidence.log_summary["task"] == "cyber_ctf_recon"


@pytest.mark.parametrize(("sharing", "expected"), [
    ("internal", {"admin": 200, "reviewer_nsa": 200, "reviewer_cisa": 404, "liaison_northwind": 404}),
    ("company", {"admin": 200, "reviewer_nsa": 200, "reviewer_cisa": 200, "liaison_northwind": 200}),
])
def test_evidence_listed_in_the_api_finding_for_exactly_those_who_see_it(demo, sharing, expected):
    """GET /api/v1/findings/{id}/ lists the finding's evidence files — the
    agency that added each, never the person — to whoever sees the finding."""
    from rest_framework.test import APIClient

    from reviews.services import terms_accept

    finding = _finding(demo)
    content = b"user: hi\nmodel: ...\n"
    evidence = _attach(demo, finding, content=content)
    if sharing != "internal":
        services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing=sharing)
    seen = {}
    for role in expected:
        if role != "admin":
            terms_accept(review=demo["atlas_mini"], user=demo[role])
        api = APIClient()
        api.force_authenticate(demo[role])
        response = api.get(f"/api/v1/findings/{finding.pk}/")
        seen[role] = response.status_code
        if response.status_code == 200:
            [row] = response.json()["attachments"]
            assert row["id"] == evidence.pk and row["stage"] == "finding" and row["agency"] == "NSA"
            assert row["file_name"] == "transcript.txt" and row["size"] == len(content)
            assert row["sha256"] == hashlib.sha256(content).hexdigest()
            assert row["download_url"] == reverse("finding_evidence_download", kwargs={"pk": evidence.pk})
            assert row["view_url"] is None  # a text file does not open in the browser
            assert "added_by" not in row and demo["reviewer_nsa"].email not in json.dumps(response.json())
    assert seen == expected
