"""Who sees documents, who may fetch which version, and the record of every view and download."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest

from documents import scans
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Role
from accounts.tests.factories import make_user
from audit.models import AuditEvent
from documents import services
from reviews import services as review_services
from documents.models import AccessKind, Document, DocumentAccess, DocumentVersion, HandlingMarking, ScanStatus
from reviews.tests.factories import assign

from .factories import make_document, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def titles(user) -> set[str]:
    return set(Document.objects.visible_to(user).values_list("review__model__name", flat=True))


def test_documents_are_visible_exactly_with_their_review(demo):
    assert titles(demo["admin"]) == {"Atlas-2", "Helix-1"}
    assert titles(demo["lead_nsa"]) == {"Atlas-2"}
    assert titles(demo["reviewer_nsa"]) == {"Atlas-2"}
    assert titles(demo["reviewer_cisa"]) == {"Helix-1"}
    assert titles(demo["lead_cisa"]) == {"Helix-1"}
    assert titles(demo["liaison_northwind"]) == {"Atlas-2"}
    assert titles(demo["liaison_contoso"]) == {"Helix-1"}
    assert Document.objects.filter(review=demo["atlas"]).count() == 3
    helix_versions = set(DocumentVersion.objects.filter(document__review=demo["helix"]).values_list("pk", flat=True))
    assert not set(DocumentVersion.objects.visible_to(demo["reviewer_nsa"]).values_list("pk", flat=True)) & helix_versions


def test_reviewer_without_access_gets_404_on_document_versions_and_download(demo, login):
    outsider = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"])  # same agency, not assigned
    version = DocumentVersion.objects.filter(document__review=demo["atlas"]).first()
    client = login(outsider)
    for url in (
        reverse("review_documents", kwargs={"pk": demo["atlas"].pk}),
        reverse("document_detail", kwargs={"pk": version.document_id}),
        reverse("version_view", kwargs={"pk": version.pk}),
        reverse("version_download", kwargs={"pk": version.pk}),
    ):
        assert client.get(url).status_code == 404, url
    assert DocumentAccess.objects.count() == 0


def test_agency_user_must_accept_terms_before_opening(demo, login):
    # The demo reviewer accepted the terms once; new terms close the material again.
    review_services.terms_update(review=demo["atlas"], actor=demo["liaison_northwind"], text="Revised terms.")
    version = DocumentVersion.objects.filter(document__review=demo["atlas"]).first()
    client = login(demo["reviewer_nsa"])
    before = DocumentAccess.objects.count()
    for url in (reverse("document_detail", kwargs={"pk": version.document_id}), reverse("version_download", kwargs={"pk": version.pk})):
        response = client.get(url)
        review_page = reverse("review_detail", kwargs={"pk": demo["atlas"].pk})
        # To the terms, and back to the page they asked for once they accept.
        assert response.status_code == 302 and response["Location"] == f"{review_page}?{urlencode({'next': url})}"
    assert DocumentAccess.objects.count() == before


def test_views_and_downloads_are_recorded(demo, login):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="evaluation_results")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    client.get(reverse("document_detail", kwargs={"pk": version.document_id}), REMOTE_ADDR="10.1.2.3")
    response = client.get(reverse("version_download", kwargs={"pk": version.pk}), REMOTE_ADDR="10.1.2.4")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"benchmark,setting,score")
    records = list(DocumentAccess.objects.order_by("id").values_list("user__email", "agency__acronym", "action", "version", "client_address"))
    assert records == [
        ("reviewer.nsa@agency.example", "NSA", AccessKind.VIEW, version.pk, "10.1.2.3"),
        ("reviewer.nsa@agency.example", "NSA", AccessKind.DOWNLOAD, version.pk, "10.1.2.4"),
    ]
    assert list(AuditEvent.objects.filter(action__in=["document.view", "document.download"]).order_by("id").values_list("action", "client_address")) == [
        ("document.view", "10.1.2.3"),
        ("document.download", "10.1.2.4"),
    ]


def test_access_records_shown_in_full_to_admins_and_as_agency_only_to_the_company(demo, login):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="evaluation_results")
    second = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"], email="second.nsa@agency.example")
    assign(demo["atlas"], second)
    for reviewer in (demo["reviewer_nsa"], second):
        services.access_record(version=version, user=reviewer, action=AccessKind.DOWNLOAD, client_address="10.9.9.9")
    url = reverse("document_detail", kwargs={"pk": version.document_id})

    admin_page = login(demo["admin"]).get(url).content.decode()
    assert "reviewer.nsa@agency.example" in admin_page and "second.nsa@agency.example" in admin_page and "10.9.9.9" in admin_page

    liaison_page = login(demo["liaison_northwind"]).get(url).content.decode()
    assert liaison_page.count("Downloaded by NSA on") == 2
    for secret in ("reviewer.nsa@agency.example", "second.nsa@agency.example", "Riley", "10.9.9.9"):
        assert secret not in liaison_page

    reviewer_page = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]]).get(url).content.decode()
    assert "second.nsa@agency.example" not in reviewer_page and "10.9.9.9" not in reviewer_page


def test_quarantined_version_cannot_be_downloaded_by_anyone(demo, login):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="model_card")
    scans.scan_result_record(version_id=version.pk, status=ScanStatus.INFECTED, detail="Eicar-Test-Signature")
    for role in ("admin", "liaison_northwind", "reviewer_nsa", "lead_nsa"):
        client = login(demo[role], accept_terms_for=[demo["atlas"]] if role in ("reviewer_nsa", "lead_nsa") else ())
        for name in ("version_download", "version_view"):
            response = client.get(reverse(name, kwargs={"pk": version.pk}))
            assert response.status_code == 302, (role, name)
            assert response["Location"] == reverse("document_detail", kwargs={"pk": version.document_id})
    assert not DocumentAccess.objects.filter(action=AccessKind.DOWNLOAD).exists()


def test_pending_version_reaches_only_the_uploading_company(demo, login):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="evaluation_results")
    DocumentVersion.objects.filter(pk=version.pk).update(scan_status=ScanStatus.PENDING, scan_detail="Waiting for the virus scan.")
    url = reverse("version_download", kwargs={"pk": version.pk})
    assert login(demo["liaison_northwind"]).get(url).status_code == 200
    # The company that handed it over has the file already: any of its liaisons may.
    colleague = make_user(role=Role.COMPANY_LIAISON, org=demo["northwind"])
    assert login(colleague).get(url).status_code == 200
    # No agency user and not the program office until the scan finds it clean.
    assert login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]]).get(url).status_code == 302
    assert login(demo["admin"]).get(url).status_code == 302
    assert login(demo["liaison_contoso"]).get(url).status_code == 404
    downloads = DocumentAccess.objects.filter(action="download", version=version).values_list("user__email", flat=True)
    assert sorted(downloads) == sorted(["liaison@northwind.example", colleague.email])


def test_cui_pdf_download_is_watermarked_on_every_page(demo, login):
    version = make_document(demo["atlas"], name="redteam.pdf", content=pdf_bytes("Red team", pages=3), kind="red_team_report",
                            marking_name="Controlled Unclassified Information")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    response = client.get(reverse("version_download", kwargs={"pk": version.pk}))
    assert response.status_code == 200 and response["X-Watermarked"] == "1"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    assert len(reader.pages) == 3
    for page in reader.pages:
        text = page.extract_text()
        assert "reviewer.nsa@agency.example" in text and str(demo["nsa"]) in text
        assert version.sha256[:16] in text and "UTC" in text
    # A proprietary (not watermarked) PDF comes back byte for byte.
    plain = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="model_card")
    HandlingMarking.objects.filter(pk=plain.document.marking_id).update(watermark_pdf=False)
    body = b"".join(client.get(reverse("version_download", kwargs={"pk": plain.pk})).streaming_content)
    import hashlib

    assert hashlib.sha256(body).hexdigest() == plain.sha256


def test_view_only_marking_allows_inline_pdf_and_image_but_no_download(demo, login):
    view_only = HandlingMarking.objects.create(name="View only", downloads_allowed=False, ordering=30)
    pdf = make_document(demo["atlas"], name="secret.pdf", content=pdf_bytes("secret"), kind="security_documentation")
    png = make_document(demo["atlas"], name="diagram.png", content=png_bytes(), kind="other")
    csv = make_document(demo["atlas"], name="data.csv", content=b"a,b\n1,2\n", kind="other")
    Document.objects.filter(pk__in=[pdf.document_id, png.document_id, csv.document_id]).update(marking=view_only)
    DocumentVersion.objects.filter(pk__in=[pdf.pk, png.pk, csv.pk]).update(marking=view_only)
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    for version in (pdf, png):
        inline = client.get(reverse("version_view", kwargs={"pk": version.pk}))
        assert inline.status_code == 200 and inline["Content-Disposition"].startswith("inline")
        assert inline["Content-Type"] == version.content_type
        assert client.get(reverse("version_download", kwargs={"pk": version.pk})).status_code == 302
    assert client.get(reverse("version_view", kwargs={"pk": csv.pk})).status_code == 302
    assert client.get(reverse("version_download", kwargs={"pk": csv.pk})).status_code == 302
    page = client.get(reverse("document_detail", kwargs={"pk": csv.document_id})).content.decode()
    assert "allows viewing only" in page


def test_x_accel_redirect_hands_the_bytes_to_nginx(demo, login, settings):
    settings.PORTAL_X_ACCEL_REDIRECT_PREFIX = "/protected/"
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="evaluation_results")
    response = login(demo["liaison_northwind"]).get(reverse("version_download", kwargs={"pk": version.pk}))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{version.file.name}"
    assert response.content == b""
    assert 'filename="' in response["Content-Disposition"]
    assert DocumentAccess.objects.filter(action="download", version=version).count() == 1


def test_documents_page_shows_missing_kinds_and_the_upload_area_to_liaisons(demo, login):
    url = reverse("review_documents", kwargs={"pk": demo["atlas"].pk})
    response = login(demo["liaison_northwind"]).get(url)
    missing = [k.value for k in response.context["missing"]]
    assert missing == ["system_card", "red_team_report", "security_documentation"]
    page = response.content.decode()
    assert 'href="?kind=system_card#upload"' in page and "Upload documentation" in page
    assert "Files are not scanned for viruses" in page
    reviewer_page = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]]).get(url).content.decode()
    assert "Upload documentation" not in reviewer_page and "?kind=system_card" not in reviewer_page


def test_document_page_shows_marking_banner_versions_and_hashes(demo, login):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="model_card")
    page = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]]).get(
        reverse("document_detail", kwargs={"pk": version.document_id})
    ).content.decode()
    assert 'class="marking"' in page and "CUI // PROPIN" in page
    assert version.sha256 in page and version.original_name in page
    assert "Files are not scanned for viruses" in page


def test_pdf_too_large_to_watermark_is_refused_not_served_unmarked(demo, login, settings):
    version = DocumentVersion.objects.get(document__review=demo["atlas"], document__kind="model_card")  # CUI
    settings.PORTAL_WATERMARK_MAX_BYTES = version.size - 1
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    for name in ("version_download", "version_view"):
        response = client.get(reverse(name, kwargs={"pk": version.pk}))
        assert response.status_code == 302
    page = client.get(reverse("document_detail", kwargs={"pk": version.document_id})).content.decode()
    assert "too large to watermark" in page
    assert not DocumentAccess.objects.filter(action=AccessKind.DOWNLOAD).exists()
