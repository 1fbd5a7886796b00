"""A redirect answering an htmx request (a search typed after the session
ended, a checklist answer saved signed out) navigates the
whole window (``HX-Redirect``) instead of drawing the sign-in or terms page
inside the part, and brings the person back to the page they were on, not
to the part's address. Without htmx, the same redirects as ever."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from readiness.models import ChecklistItem

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"}


def test_a_signed_out_search_as_one_types_sends_the_window_to_sign_in_and_back_to_the_page():
    client = Client()
    page = "http://testserver/search/?q=atl"
    response = client.get("/search/", {"q": "atlas"}, **HTMX, HTTP_HX_CURRENT_URL=page)
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == "/accounts/login/?next=" + quote("/search/?q=atl", safe="/")
    # A page of another host is not where anyone is sent back to: the part's own address stays.
    elsewhere = client.get("/search/", {"q": "atlas"}, **HTMX, HTTP_HX_CURRENT_URL="https://evil.example/search/?q=atl")
    assert elsewhere["HX-Redirect"] == "/accounts/login/?next=" + quote("/search/?q=atlas", safe="/")
    plain = client.get("/search/", {"q": "atlas"})
    assert plain.status_code == 302 and "HX-Redirect" not in plain
    assert plain["Location"] == "/accounts/login/?next=" + quote("/search/?q=atlas", safe="/")


def test_an_idle_session_ended_while_typing_navigates_to_sign_in_with_its_reason(demo, login, settings):
    from accounts.middleware import SEEN_AT

    client = login(demo["reviewer_nsa"])
    session = client.session
    session[SEEN_AT] = (timezone.now() - settings.SESSION_IDLE_AGE - timedelta(minutes=1)).isoformat()
    session.save()
    response = client.get("/search/", {"q": "atlas"}, **HTMX, HTTP_HX_CURRENT_URL="http://testserver/reviews/")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/reviews/"
    # The session's end and its reason travel with the navigation (their cookies).
    sign_in = client.get(response["HX-Redirect"]).content.decode()
    assert f"You were signed out after {settings.PORTAL_SESSION_IDLE_MINUTES} idle minutes." in sign_in
    assert client.get("/reviews/").status_code == 302


def test_a_checklist_answer_saved_signed_out_goes_to_sign_in_and_back_to_the_checklist(demo):
    review = demo["atlas"]
    client = Client()
    item = review.checklist.first()
    checklist = reverse("review_checklist", kwargs={"pk": review.pk})
    url = reverse("checklist_item_answer", kwargs={"pk": item.pk})  # takes POSTs only: no page to come back to
    response = client.post(url, {"answer": "met"}, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{checklist}")
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == f"/accounts/login/?next={checklist}"
    assert ChecklistItem.objects.get(pk=item.pk).answer == ""
    plain = client.post(url, {"answer": "met"})
    assert plain.status_code == 302 and plain["Location"] == "/accounts/login/?next=" + quote(url, safe="/")


def test_a_csrf_refusal_is_the_portals_page_marked_for_htmx_parts(demo):
    from journeys.browser import force_login_mfa

    client = Client(enforce_csrf_checks=True)
    force_login_mfa(client, demo["reviewer_nsa"])
    item = demo["atlas"].checklist.first()
    response = client.post(reverse("checklist_item_answer", kwargs={"pk": item.pk}), {"answer": "met"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and response["Portal-Error"] == "csrf"
    assert "<h1>This form has expired</h1>" in response.content.decode()  # the portal's own 403_csrf page, as before
    assert ChecklistItem.objects.get(pk=item.pk).answer == ""
