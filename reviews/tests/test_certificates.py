"""Return-or-destruction certificates that mean it (issue 17 item 4): signing one
ends the certifying agency's access to the review's documents on every path —
the documents page, a document's page, the inline view, the download, the
watermarked copy and the API — while the other agency still reads them. On the
shared demo review (Atlas-2 Mini: NSA and CISA)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import make_user
from api.services import token_create
from documents.models import DocumentAccess, HandlingMarking
from notifications.models import Notification
from reviews import services
from reviews.models import AccessChange, ReturnCertificate, Review, ReviewTransition
from reviews.standing import standing_of

from .factories import answer_checklist, close_review, sign_off

pytestmark = pytest.mark.django_db

CERT = {
    "kind": "destruction", "method": "NIST SP 800-88 purge of lab storage", "signatory_name": "Lee Lead",
    "signatory_title": "Chief, model evaluation", "scope": "all",
}


def _cui_pdf(demo, review):
    """A CUI-marked PDF (watermarked for every reader) handed over on ``review``."""
    from demo.files import as_file, demo_files
    from documents.services import document_create

    kind, title, marking, name, content = demo_files("Atlas-2 Mini")[0]
    marking = HandlingMarking.objects.get(name=marking)
    assert marking.watermark_pdf
    return document_create(
        review=review, actor=demo["liaison_northwind"], kind=kind, title=title, marking=marking,
        file=as_file(content, name), original_name=name,
    )


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='t')[1]}")
    return client


def _paths(version):
    return {
        "documents": reverse("review_documents", kwargs={"pk": version.document.review_id}),
        "document": reverse("document_detail", kwargs={"pk": version.document_id}),
        "view": reverse("version_view", kwargs={"pk": version.pk}),
        "download": reverse("version_download", kwargs={"pk": version.pk}),
    }


def test_after_nsa_certifies_every_nsa_path_to_the_documents_is_refused_while_cisa_reads(demo, login, client):
    review = demo["atlas_mini"]
    version = _cui_pdf(demo, review)
    for role in ("lead_nsa", "reviewer_nsa", "lead_cisa", "reviewer_cisa"):
        services.terms_accept(review=review, user=demo[role])
    answer_checklist(review)
    sign_off(review, demo["lead_nsa"])
    certificate = services.certificate_record(
        review_id=review.pk, actor=demo["lead_nsa"], done_on=timezone.localdate(), **CERT
    )
    assert (certificate.agency, certificate.scope, certificate.signatory_title) == (demo["nsa"], "all", "Chief, model evaluation")
    accesses = DocumentAccess.objects.count()

    # NSA's lead keeps the review (its record and report) but no document path opens.
    web = login(demo["lead_nsa"])
    assert web.get(reverse("review_detail", kwargs={"pk": review.pk})).status_code == 200
    for name, url in _paths(version).items():
        response = web.get(url)
        assert response.status_code == 403, name
        assert "certified that it returned or destroyed this review&#x27;s material" in response.content.decode(), name
    api = _api(demo["lead_nsa"])
    assert api.get(f"/api/v1/versions/{version.pk}/download/").json()["errors"][0]["code"] == "permission_denied"
    assert api.get(f"/api/v1/versions/{version.pk}/download/").status_code == 403
    assert api.get(f"/api/v1/documents/{version.document_id}/").status_code == 403
    assert version.document_id not in {d["id"] for d in api.get("/api/v1/documents/?page_size=100").json()["results"]}
    assert version.pk not in {v["id"] for v in api.get("/api/v1/versions/?page_size=100").json()["results"]}

    # NSA's reviewer lost the grant at once: the review is gone; their old links say why.
    web.logout()
    web = login(demo["reviewer_nsa"])
    assert web.get(reverse("review_detail", kwargs={"pk": review.pk})).status_code == 404
    for name, url in _paths(version).items():
        response = web.get(url)
        assert response.status_code == 403 and "returned or destroyed" in response.content.decode(), name
    assert _api(demo["reviewer_nsa"]).get(f"/api/v1/versions/{version.pk}/download/").status_code == 404
    assert DocumentAccess.objects.count() == accesses  # nothing was served to NSA

    # CISA still reads every path, the watermarked copy included.
    web.logout()
    web = login(demo["reviewer_cisa"])
    for name, url in _paths(version).items():
        assert web.get(url).status_code == 200, name
    download = web.get(_paths(version)["download"])
    assert download["X-Watermarked"] == "1"
    assert _api(demo["reviewer_cisa"]).get(f"/api/v1/versions/{version.pk}/download/").status_code == 200


def test_certificate_ends_the_agency_grants_and_is_recorded_and_told_to_the_company_by_agency(demo, login):
    review = demo["atlas_mini"]
    answer_checklist(review)
    sign_off(review, demo["lead_nsa"])
    services.certificate_record(review_id=review.pk, actor=demo["lead_nsa"], done_on=timezone.localdate(), **CERT)
    nsa_reviewer = standing_of(user=demo["reviewer_nsa"], review=review)
    assert not nsa_reviewer.may_view
    lead = standing_of(user=demo["lead_nsa"], review=review)
    assert lead.may_view and lead.material_returned and not lead.may_manage_access and not lead.may_certify
    cisa = standing_of(user=demo["reviewer_cisa"], review=review)
    assert cisa.may_view and not cisa.material_returned
    revoked = set(AccessChange.objects.filter(review=review, action="revoke").values_list("permission", "user_id", "group_id"))
    assert revoked == {("view_review", demo["reviewer_nsa"].pk, None), ("assign_reviewer", None, demo["nsa"].leads_group_id)}
    assert ReviewTransition.objects.filter(review=review, name="certify").get().comment.startswith("NSA: material destroyed on ")
    title = f"{review}: NSA certified the material destroyed"
    assert list(Notification.objects.filter(recipient=demo["liaison_northwind"], verb="review.certify").values_list("title", flat=True)) == [title]
    assert not Notification.objects.filter(recipient=demo["lead_cisa"], verb="review.certify").exists()
    company = login(demo["liaison_northwind"]).get(reverse("review_detail", kwargs={"pk": review.pk})).content.decode()
    assert "NSA</span> material <strong>destroyed</strong>" in company
    assert "Lee Lead" not in company and "Chief, model evaluation" not in company


def test_certificate_bad_input_is_refused_with_the_reason_and_nothing_written(demo):
    review = demo["atlas_mini"]
    today = timezone.localdate()
    dod_lead = make_user(role=Role.AGENCY_LEAD, org=demo["dod"])

    def state():
        return (ReturnCertificate.objects.count(), AccessChange.objects.count(), ReviewTransition.objects.count())

    before = state()
    # Before the agency signed off (the review is in review).
    with pytest.raises(services.CertificateError, match="once it has signed off, or once the review is closed"):
        services.certificate_record(review_id=review.pk, actor=demo["lead_nsa"], done_on=today, **CERT)
    for actor in (demo["reviewer_nsa"], demo["admin"], demo["liaison_northwind"], dod_lead):  # DOD: not on the review
        with pytest.raises(PermissionDenied):
            services.certificate_record(review_id=review.pk, actor=actor, done_on=today, **CERT)
    answer_checklist(review)
    sign_off(review, demo["lead_nsa"])
    before = state()
    bad = [
        ({"method": " "}, "method"),
        ({"signatory_name": ""}, "signatory_name"),
        ({"signatory_title": ""}, "signatory_title"),
        ({"kind": "shredded"}, "kind"),
        ({"scope": "exceptions", "exceptions": ""}, "exceptions"),
        ({"done_on": today + timezone.timedelta(days=1)}, "done_on"),
    ]
    for override, field in bad:
        with pytest.raises(ValidationError) as exc:
            services.certificate_record(review_id=review.pk, actor=demo["lead_nsa"], **{**CERT, "done_on": today, **override})
        assert list(exc.value.message_dict) == [field]
    assert state() == before
    services.certificate_record(review_id=review.pk, actor=demo["lead_nsa"], done_on=today, **CERT)
    once = state()
    with pytest.raises(services.CertificateError, match="^NSA has already certified"):
        services.certificate_record(review_id=review.pk, actor=demo["lead_nsa"], done_on=today, **CERT)
    assert state() == once


def test_certificate_form_keeps_input_on_error_and_is_in_the_closing_report(demo, login):
    from exports.reports import report_csv, report_for

    review = close_review(demo["atlas_mini"], demo["lead_nsa"])
    client = login(demo["lead_nsa"], accept_terms_for=[review])
    url = reverse("review_certify", kwargs={"pk": review.pk})
    response = client.post(url, {**CERT, "scope": "exceptions", "exceptions": "", "done_on": timezone.localdate()})
    assert response.status_code == 400
    html = response.content.decode()
    assert "List the copies that were kept, or choose all copies." in html and "NIST SP 800-88 purge of lab storage" in html
    assert not ReturnCertificate.objects.filter(review=review).exists()
    data = {**CERT, "scope": "exceptions", "exceptions": "One sealed archive copy for the record.", "done_on": timezone.localdate()}
    assert client.post(url, data).status_code == 302
    company = report_csv(report_for(review=Review.objects.get(pk=review.pk), user=demo["liaison_northwind"]))
    assert "All copies except those listed" in company and "One sealed archive copy for the record." in company
    assert "Lee Lead" not in company and "Chief, model evaluation" not in company
    office = report_csv(report_for(review=Review.objects.get(pk=review.pk), user=demo["admin"]))
    assert "Lee Lead, Chief, model evaluation" in office
