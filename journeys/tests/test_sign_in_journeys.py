"""Sign-in journeys in chromium: through an organisation's IdP, and with a passkey.

The IdP is the suite's real OIDC provider on loopback (sso.tests.idp); the
passkey lives in Chromium's virtual authenticator (the DevTools protocol's
WebAuthn domain, through Playwright's CDP session).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from journeys.browser import recovery_code
from sso.tests.idp import LocalIdP

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def local_idp():
    server = LocalIdP().start()
    yield server
    server.stop()


def test_an_invited_analyst_signs_in_through_the_agency_idp_and_lands_on_the_dashboard(journey, local_idp, demo):
    from accounts.services import invitation_create
    from sso.services import identity_provider_save

    local_idp.reset()
    local_idp.register("portal-nsa", secret="browser-secret")
    identity_provider_save(
        actor=demo["admin"], agency_id=demo["nsa"].pk, name="NSA ICAM", issuer=local_idp.issuer, client_id="portal-nsa",
        client_secret="browser-secret", email_domains=["nsa.example"], trust_idp_mfa=True,
    )
    invitation_create(inviter=demo["lead_nsa"], email="piv.analyst@nsa.example", role="agency_reviewer", agency_id=demo["nsa"].pk)
    local_idp.next_identity = {
        "sub": "piv-7", "email": "piv.analyst@nsa.example", "email_verified": True, "name": "Pat PIV",
        "amr": ["hwk", "pin"], "acr": "http://idmanagement.gov/ns/assurance/aal/3",
    }

    page = journey.anonymous_page()
    page.goto(journey.base_url + "/accounts/login/")
    page.get_by_role("link", name="Sign in through your agency or company").click()
    journey.checkpoint(page, "sso-start")
    page.get_by_label("Work e-mail").fill("piv.analyst@nsa.example")
    page.get_by_role("button", name="Continue with your organisation").click()
    # The portal → the IdP (a real HTTP server) → the callback → the dashboard, in one go.
    page.wait_for_url(journey.base_url + "/")
    expect(page.locator("form[action$='/accounts/logout/'] button")).to_be_attached()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.checkpoint(page, "dashboard-after-sso")

    from allauth.socialaccount.models import SocialAccount

    account = SocialAccount.objects.get(user__email="piv.analyst@nsa.example")
    assert account.uid == "piv-7" and not account.user.has_usable_password()


def test_a_passkey_is_registered_and_signs_in_with_chromiums_virtual_authenticator(journey, demo):
    email = "liaison@northwind.example"
    page = journey.page_for(email)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]

    page.goto(journey.base_url + "/accounts/2fa/")
    page.get_by_role("link", name="Add a passkey or security key").click()
    # Managing authenticators needs a fresh second factor (allauth reauthentication).
    if "/reauthenticate/" in page.url:
        from accounts.models import User

        page.locator("input[name='code']").fill(recovery_code(User.objects.get(email=email)))
        page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Laptop passkey")
    page.get_by_label("Passwordless").check()
    page.locator("#mfa_webauthn_add").click()
    # The add page is under /accounts/2fa/ too: wait until the browser has left it.
    page.wait_for_url(lambda address: "/accounts/2fa/" in address and "/add" not in address)
    page.wait_for_load_state("load")
    journey.checkpoint(page, "passkey-added")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]

    from allauth.mfa.models import Authenticator

    assert Authenticator.objects.filter(user__email=email, type="webauthn").count() == 1

    # Sign out, and back in with the passkey alone.
    page.goto(journey.base_url + "/accounts/logout/")
    page.locator("main").get_by_role("button", name="Sign out").click()
    page.goto(journey.base_url + "/accounts/login/")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(journey.base_url + "/")
    expect(page.locator("form[action$='/accounts/logout/'] button")).to_be_attached()
    journey.checkpoint(page, "dashboard-after-passkey")
