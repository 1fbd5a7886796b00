"""An unexpected error answers a JSON client in JSON, a browser with the error page."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_dashboard(monkeypatch):
    import importlib

    from django.urls import clear_url_caches

    import dashboard.urls
    import dashboard.views
    import portal.urls

    def explode(request):
        raise RuntimeError("database went away")

    monkeypatch.setattr(dashboard.views, "dashboard", explode)
    for module in (dashboard.urls, portal.urls):
        importlib.reload(module)
    clear_url_caches()
    yield
    monkeypatch.undo()
    for module in (dashboard.urls, portal.urls):
        importlib.reload(module)
    clear_url_caches()


def _client(demo):
    from journeys.browser import force_login_mfa

    client = Client(raise_request_exception=False)
    force_login_mfa(client, demo["reviewer_nsa"])
    return client


def test_a_server_error_is_json_for_a_json_client(demo, broken_dashboard):
    response = _client(demo).get("/", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": [{"field": None, "code": "server_error", "message": "The portal could not complete this request. Try again shortly."}]
    }


def test_a_server_error_is_the_error_page_for_a_browser(demo, broken_dashboard):
    response = _client(demo).get("/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
