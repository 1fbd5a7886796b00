"""The closing report per audience: the company's version holds only what the company may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exports.reports import report_csv, report_for, report_pdf

pytestmark = pytest.mark.django_db


def test_company_version_omits_internal_findings_comments_and_names(closed_atlas, demo):
    text = report_csv(report_for(review=closed_atlas["review"], user=demo["liaison_northwind"]))
    assert "Safeguard bypass via tool output" in text and "Please confirm the fix." in text
    assert "Release with the tool-output fix." in text and "Re-test in 60 days." in text
    assert "Readiness checklist" in text and "Access instructions" in text
    for secret in (closed_atlas["internal"].title, "INTERNAL-NOTE", "Riley", "Lee Lead", "reviewer.nsa", "lead.nsa"):
        assert secret not in text, secret
    assert "NSA" in text  # the agency, not the person


def test_agency_version_names_people_and_holds_internal_findings(closed_atlas, demo):
    text = report_csv(report_for(review=closed_atlas["review"], user=demo["lead_nsa"]))
    assert closed_atlas["internal"].title in text
    assert "INTERNAL-NOTE escalate" in text and "Riley Reviewer" in text


def test_pdf_is_built_per_audience(closed_atlas, demo):
    pdf = report_pdf(report_for(review=closed_atlas["review"], user=demo["liaison_northwind"]))
    assert pdf.startswith(b"%PDF")


def test_report_downloads_through_the_page(closed_atlas, demo, login):
    client = login(demo["liaison_northwind"])
    for fmt, ctype in (("csv", "text/csv"), ("pdf", "application/pdf")):
        response = client.get(reverse("review_report", kwargs={"pk": closed_atlas["review"].pk, "fmt": fmt}))
        assert response.status_code == 200 and response["Content-Type"].startswith(ctype)
        assert "closing-report" in response["Content-Disposition"]
    body = client.get(reverse("review_report", kwargs={"pk": closed_atlas["review"].pk, "fmt": "csv"})).content.decode()
    assert closed_atlas["internal"].title not in body


def test_no_report_for_a_draft_and_none_out_of_scope(demo, login, fresh_shared_review):
    client = login(demo["liaison_northwind"])
    assert client.get(reverse("review_report", kwargs={"pk": fresh_shared_review.pk, "fmt": "csv"})).status_code == 404
    assert client.get(reverse("review_report", kwargs={"pk": demo["helix"].pk, "fmt": "csv"})).status_code == 404


CERTIFICATE = {
    "kind": "destruction", "method": "NIST SP 800-88 purge", "signatory_name": "Lee Lead", "signatory_title": "Division chief",
    "scope": "all",
}


def test_lead_certifies_once_after_closing_and_it_is_in_the_record(closed_atlas, demo, login):
    from django.utils import timezone

    from reviews import services
    from reviews.models import ReturnCertificate

    review = closed_atlas["review"]
    client = login(demo["lead_nsa"], accept_terms_for=[review])
    assert "Certify for NSA" in client.get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    today = timezone.localdate()
    assert client.post(reverse("review_certify", kwargs={"pk": review.pk}), {**CERTIFICATE, "done_on": today}).status_code == 302
    cert = ReturnCertificate.objects.get(review=review)
    assert (cert.agency, cert.certified_by, cert.kind, cert.done_on) == (demo["nsa"], demo["lead_nsa"], "destruction", today)
    with pytest.raises(services.CertificateError, match="already certified"):
        services.certificate_record(review_id=review.pk, actor=demo["lead_nsa"], done_on=today, **CERTIFICATE)
    assert ReturnCertificate.objects.count() == 1
    company = report_csv(report_for(review=review, user=demo["liaison_northwind"]))
    assert "Return-or-destroy certificates" in company and "NSA" in company and "Lee Lead" not in company
    assert "Lee Lead" in report_csv(report_for(review=review, user=demo["admin"]))


def test_certificate_refused_before_signing_off_and_for_non_leads(demo):
    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    from reviews import services
    from reviews.models import ReturnCertificate

    today = timezone.localdate()
    with pytest.raises(services.CertificateError, match="once it has signed off, or once the review is closed"):
        services.certificate_record(review_id=demo["atlas"].pk, actor=demo["lead_nsa"], done_on=today, **CERTIFICATE)
    for role in ("reviewer_nsa", "admin", "liaison_northwind", "lead_cisa"):
        with pytest.raises(PermissionDenied):
            services.certificate_record(review_id=demo["atlas"].pk, actor=demo[role], done_on=today, **CERTIFICATE)
    assert not ReturnCertificate.objects.exists()


def test_report_lists_documents_with_hashes_and_is_audited(closed_atlas, demo, login):
    from audit.models import AuditEvent
    from documents.models import DocumentVersion

    versions = DocumentVersion.objects.filter(document__review=closed_atlas["review"])
    assert versions.exists()
    text = report_csv(report_for(review=closed_atlas["review"], user=demo["liaison_northwind"]))
    assert "Documents received (SHA-256 of each version)" in text
    for v in versions:
        assert v.sha256 in text and v.original_name in text
    before = AuditEvent.objects.filter(action="report.generate").count()
    login(demo["liaison_northwind"]).get(reverse("review_report", kwargs={"pk": closed_atlas["review"].pk, "fmt": "pdf"}))
    event = AuditEvent.objects.filter(action="report.generate").latest("id")
    assert AuditEvent.objects.filter(action="report.generate").count() == before + 1
    assert (event.actor, event.payload["format"], event.payload["audience"]) == (demo["liaison_northwind"], "pdf", "company")
