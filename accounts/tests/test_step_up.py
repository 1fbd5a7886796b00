"""Step-up for sensitive acts (issue 18, item 6): one decorator/helper (accounts.stepup)
in front of granting and revoking access, sharing a finding with the company and
fetching a document of view-only-or-stricter handling."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from reviews.models import AccessChange

pytestmark = pytest.mark.django_db


def _stale(client):
    """Moves past PORTAL_STEP_UP_MINUTES (10) but within the idle limit (15): still signed in."""
    later = timezone.now() + timedelta(minutes=11)
    traveller = time_machine.travel(later, tick=False)
    traveller.start()
    assert client.get(reverse("dashboard")).status_code == 200
    return traveller


def assert_a_stale_sign_in_steps_up_back_to(client, address: str) -> None:
    """With the sign-in stale, ``address`` (a path with its query) sends to
    the re-authentication, whose ``next`` is that same address, query kept."""
    from urllib.parse import parse_qs, urlsplit

    traveller = _stale(client)
    try:
        asked = client.get(address)
    finally:
        traveller.stop()
    assert asked.status_code == 302 and asked["Location"].startswith(reverse("mfa_reauthenticate"))
    assert parse_qs(urlsplit(asked["Location"]).query)["next"] == [address]


def test_revoking_access_with_a_stale_sign_in_asks_to_reauthenticate_first(demo, login):
    client = login(demo["lead_nsa"])
    atlas = demo["atlas"]
    before = AccessChange.objects.count()
    traveller = _stale(client)
    try:
        response = client.post(
            reverse("review_access_revoke", kwargs={"pk": atlas.pk}),
            {"subject": f"user:{demo['reviewer_nsa'].pk}", "reason": "Left the team"},
        )
    finally:
        traveller.stop()
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert AccessChange.objects.count() == before


def test_sharing_with_the_company_steps_up_but_sharing_with_agencies_does_not(demo, login):
    client = login(demo["lead_nsa"], accept_terms_for=[demo["atlas"]])
    finding = demo["atlas"].findings.get()
    url = reverse("finding_share", kwargs={"pk": finding.pk})
    traveller = _stale(client)
    try:
        to_company = client.post(url, {"sharing": "company"})
        assert to_company["Location"].startswith(reverse("mfa_reauthenticate"))
        finding.refresh_from_db()
        assert finding.sharing == "internal"
        to_agencies = client.post(url, {"sharing": "agencies"})
        assert to_agencies["Location"] == reverse("finding_detail", kwargs={"pk": finding.pk})
    finally:
        traveller.stop()
    finding.refresh_from_db()
    assert finding.sharing == "agencies"


def test_a_view_only_document_needs_a_recent_sign_in_a_plain_one_does_not(demo, login):
    from documents.models import DocumentVersion, HandlingMarking

    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    version = DocumentVersion.objects.filter(document__review=demo["atlas"], document__kind="model_card").get()
    document_model = type(version.document)
    # The demo's model card is CUI (watermarked: stricter than plain): fine while the sign-in is fresh.
    assert version.document.marking.watermark_pdf
    download = reverse("version_download", kwargs={"pk": version.pk})
    assert client.get(download).status_code == 200
    ordinary = HandlingMarking.objects.create(name="Ordinary (test)", downloads_allowed=True, watermark_pdf=False, ordering=8)
    document_model.objects.filter(pk=version.document_id).update(marking=ordinary)
    DocumentVersion.objects.filter(pk=version.pk).update(marking=ordinary)  # a version's own marking rules it
    traveller = _stale(client)
    try:
        assert client.get(download).status_code == 200  # ordinary handling: no step-up
        view_only = HandlingMarking.objects.create(name="View only (test)", downloads_allowed=False, ordering=9)
        document_model.objects.filter(pk=version.document_id).update(marking=view_only)
        DocumentVersion.objects.filter(pk=version.pk).update(marking=view_only)
        response = client.get(reverse("version_view", kwargs={"pk": version.pk}))
        assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate"))
        from urllib.parse import parse_qs, urlsplit

        assert parse_qs(urlsplit(response["Location"]).query)["next"] == [reverse("version_view", kwargs={"pk": version.pk})]
    finally:
        traveller.stop()


def test_an_idp_bound_account_steps_up_there_and_comes_back_to_the_page_it_acted_from(demo, login):
    """The IdP round trip cannot replay a POST: the lead comes back to the
    access page (the same-site Referer, never a foreign one) and revokes
    again; nothing was revoked meanwhile. Before, ``next`` was the POST-only
    URL itself: a 405 after signing in at the IdP (still the fallback
    without a usable Referer)."""
    from urllib.parse import parse_qs, urlsplit

    from allauth.socialaccount.models import SocialAccount

    lead, atlas = demo["lead_nsa"], demo["atlas"]
    client = login(lead)
    SocialAccount.objects.create(user=lead, provider="nsa-piv", uid="piv-lead-1")
    page = reverse("review_access", kwargs={"pk": atlas.pk})
    revoke = reverse("review_access_revoke", kwargs={"pk": atlas.pk})
    form = {"subject": f"user:{demo['reviewer_nsa'].pk}", "reason": "Left the team"}
    before = AccessChange.objects.count()
    traveller = _stale(client)
    try:
        from_page = client.post(revoke, form, HTTP_REFERER=f"http://testserver{page}?tab=people")
        without = client.post(revoke, form)
        foreign = client.post(revoke, form, HTTP_REFERER="https://elsewhere.example/reviews/1/access/")
    finally:
        traveller.stop()

    def step_up(response):
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == reverse("sso_step_up", kwargs={"slug": "nsa-piv"})
        return parse_qs(location.query)["next"]

    assert step_up(from_page) == [f"{page}?tab=people"]
    assert step_up(without) == step_up(foreign) == [revoke]
    assert AccessChange.objects.count() == before
