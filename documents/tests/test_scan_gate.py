"""Scanning fails closed (issue 14, item 6): a version that is waiting for its
scan, or was stored without one, reaches only the company that uploaded it,
on the web (download and inline view) and through the API; stored without a
scan it reaches every reader only under the explicit opt-out
(PORTAL_ALLOW_UNSCANNED_DOCUMENTS, which demo mode turns on)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from documents.models import DocumentAccess, DocumentVersion, ScanStatus

from .factories import make_document, pdf_bytes

pytestmark = pytest.mark.django_db

FETCHES = ("version_download", "version_view")


@pytest.fixture
def unscanned(demo, settings):
    """A PDF on Atlas-2 stored while no scanner was configured, without the opt-out."""
    settings.CLAMAV_URL = ""
    settings.PORTAL_ALLOW_UNSCANNED_DOCUMENTS = False
    version = make_document(demo["atlas"], name="card.pdf", content=pdf_bytes("Unscanned"), kind="other")
    assert version.scan_status == ScanStatus.NOT_SCANNED
    return version


@pytest.fixture
def api():
    """``api(user)`` → an API client with a fresh personal token of ``user``."""
    from rest_framework.test import APIClient

    from api.services import token_create
    from reviews.services import terms_accept

    def _client(user, *, accept_terms_for=()):
        for review in accept_terms_for:
            terms_accept(review=review, user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='tests')[1]}")
        return client

    return _client


def _fetch(client, name, version):
    return client.get(reverse(name, kwargs={"pk": version.pk}))


@pytest.mark.parametrize("role", ["reviewer_nsa", "lead_nsa", "admin"])
def test_agency_side_cannot_download_or_view_an_unscanned_version(demo, login, unscanned, role):
    client = login(demo[role], accept_terms_for=[demo["atlas"]] if role != "admin" else [])
    for name in FETCHES:
        response = _fetch(client, name, unscanned)
        assert response.status_code == 302, name
        assert response["Location"] == reverse("document_detail", kwargs={"pk": unscanned.document_id})
        assert "Content-Disposition" not in response
    page = client.get(reverse("document_detail", kwargs={"pk": unscanned.document_id})).content.decode()
    assert "stored without a virus scan, so it is not released" in page
    assert "files are not released to agencies" in page
    assert not DocumentAccess.objects.filter(version=unscanned, action__in=["download"]).exists()


def test_api_refuses_an_unscanned_version_to_an_agency(demo, api, unscanned):
    client = api(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    response = client.get(f"/api/v1/versions/{unscanned.pk}/download/")
    assert response.status_code == 403
    assert "without a virus scan" in response.json()["errors"][0]["message"]
    assert not DocumentAccess.objects.filter(version=unscanned).exists()


def test_the_uploading_company_still_fetches_its_unscanned_version(demo, login, api, unscanned):
    colleague = make_user(role=Role.COMPANY_LIAISON, org=demo["northwind"])  # not the uploader
    for user in (demo["liaison_northwind"], colleague):
        client = login(user)
        for name in FETCHES:
            assert _fetch(client, name, unscanned).status_code == 200, (user, name)
    assert api(colleague).get(f"/api/v1/versions/{unscanned.pk}/download/").status_code == 200


def test_pending_version_reaches_the_company_but_no_agency(demo, login, unscanned):
    DocumentVersion.objects.filter(pk=unscanned.pk).update(scan_status=ScanStatus.PENDING, scan_detail="Waiting for the virus scan.")
    colleague = make_user(role=Role.COMPANY_LIAISON, org=demo["northwind"])
    assert _fetch(login(colleague), "version_download", unscanned).status_code == 200
    reviewer = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    assert _fetch(reviewer, "version_download", unscanned).status_code == 302


def test_infected_version_reaches_nobody_not_even_the_company(demo, login, unscanned):
    DocumentVersion.objects.filter(pk=unscanned.pk).update(scan_status=ScanStatus.INFECTED, scan_detail="Eicar-Signature")
    for role in ("liaison_northwind", "reviewer_nsa", "admin"):
        client = login(demo[role], accept_terms_for=[demo["atlas"]] if role == "reviewer_nsa" else [])
        for name in FETCHES:
            assert _fetch(client, name, unscanned).status_code == 302, (role, name)


def test_opt_out_delivers_unscanned_versions_under_the_warning(demo, login, unscanned, settings):
    settings.PORTAL_ALLOW_UNSCANNED_DOCUMENTS = True
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    for name in FETCHES:
        assert _fetch(client, name, unscanned).status_code == 200, name
    page = client.get(reverse("document_detail", kwargs={"pk": unscanned.document_id})).content.decode()
    assert "Files are not scanned for viruses." in page and "reach readers unchecked" in page
