"""Inline documents cannot script the portal (issue 14, item 11): every
response carrying an uploaded file's bytes is sandboxed by its
Content-Security-Policy (an opaque origin: no cookies, storage or same-origin
requests for whatever script a viewer might run), is never content-sniffed,
and names the file in a safely encoded Content-Disposition."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .factories import make_document, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_sandboxed(response):
    assert response.status_code == 200
    policy = _policy(response)
    assert "sandbox" in policy
    assert "allow-same-origin" not in policy["sandbox"] and "allow-scripts" not in policy["sandbox"]
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy and "connect-src" not in policy  # nothing beyond default-src 'none'
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cache-Control"] == "private, no-store"


@pytest.fixture
def files(demo):
    return {
        "pdf": make_document(demo["atlas"], name="card.pdf", content=pdf_bytes("with /JavaScript"), kind="other"),
        "png": make_document(demo["atlas"], name="diagram.png", content=png_bytes(), kind="other"),
    }


@pytest.mark.parametrize("kind", ["pdf", "png"])
def test_inline_view_is_sandboxed_without_the_portals_origin(demo, login, files, kind):
    version = files[kind]
    response = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]]).get(
        reverse("version_view", kwargs={"pk": version.pk})
    )
    assert_sandboxed(response)
    assert response["Content-Type"] == version.content_type
    assert response["Content-Disposition"] == f'inline; filename="{version.original_name}"'


def test_downloads_carry_the_same_sandbox(demo, login, files):
    response = login(demo["liaison_northwind"]).get(reverse("version_download", kwargs={"pk": files["pdf"].pk}))
    assert_sandboxed(response)
    assert response["Content-Disposition"] == 'attachment; filename="card.pdf"'


def test_watermarked_and_nginx_deliveries_are_sandboxed_too(demo, login, settings):
    cui = make_document(demo["atlas"], name="cui.pdf", content=pdf_bytes("CUI"), kind="other",
                        marking_name="Controlled Unclassified Information")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    stamped = client.get(reverse("version_view", kwargs={"pk": cui.pk}))
    assert stamped["X-Watermarked"] == "1"
    assert_sandboxed(stamped)
    settings.PORTAL_X_ACCEL_REDIRECT_PREFIX = "/protected/"
    plain = make_document(demo["atlas"], name="plain.pdf", content=pdf_bytes("plain"), kind="other")
    handed_off = client.get(reverse("version_view", kwargs={"pk": plain.pk}))
    assert handed_off["X-Accel-Redirect"].startswith("/protected/")
    assert_sandboxed(handed_off)  # nginx passes these on ($upstream_http_…, see README)


def test_file_name_is_encoded_not_injected(demo, login):
    version = make_document(demo["atlas"], name='Modellkarte "v2"; x=1 – ü.pdf', content=pdf_bytes(), kind="other")
    response = login(demo["liaison_northwind"]).get(reverse("version_view", kwargs={"pk": version.pk}))
    assert_sandboxed(response)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; filename*=utf-8''")
    assert '"' not in disposition and ";" not in disposition.split("filename*=", 1)[1]
    assert disposition.isascii()


def test_api_download_is_sandboxed(demo, files):
    from rest_framework.test import APIClient

    from api.services import token_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=demo['liaison_northwind'], name='t')[1]}")
    assert_sandboxed(client.get(f"/api/v1/versions/{files['png'].pk}/download/"))


def test_portal_pages_keep_their_own_policy(demo, login, files):
    page = login(demo["liaison_northwind"]).get(reverse("document_detail", kwargs={"pk": files["pdf"].document_id}))
    assert "sandbox" not in _policy(page) and _policy(page)["script-src"] == ["'self'"]
