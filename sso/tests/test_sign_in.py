"""Sign-in through an organisation's IdP, against a real OIDC provider on loopback (issue 18)."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from accounts.models import User
from accounts.services import invitation_create
from audit.models import AuditEvent

from .conftest import idp_link, sso_sign_in

pytestmark = pytest.mark.django_db

ANALYST = "analyst@nsa.example"


def identity(email=ANALYST, sub="nsa-sub-1", **claims):
    return {"sub": sub, "email": email, "email_verified": True, "name": "Ana Analyst", "acr": "urn:idp:password", "amr": ["pwd"], **claims}


@pytest.fixture
def nsa_idp(provider, demo):
    return provider(demo["nsa"], name="NSA ICAM", email_domains=["nsa.example"])


@pytest.fixture
def invited(demo):
    invitation, _ = invitation_create(inviter=demo["lead_nsa"], email=ANALYST, role="agency_reviewer", agency_id=demo["nsa"].pk)
    return invitation


def _rows():
    return User.objects.count(), SocialAccount.objects.count()


def test_an_invited_person_signs_in_through_the_idp_and_is_bound(client, idp, nsa_idp, invited, demo):
    response = sso_sign_in(client, idp, ANALYST, identity())
    assert response.status_code == 302
    user = User.objects.get(email=ANALYST)
    assert (user.membership.agency, user.membership.role) == (demo["nsa"], "agency_reviewer")
    assert user.full_name == "Ana Analyst"
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == (nsa_idp.slug, "nsa-sub-1")
    assert not user.has_usable_password()  # from now on only through the IdP
    invited.refresh_from_db()
    assert invited.accepted_user == user
    actions = set(AuditEvent.objects.filter(actor=user).values_list("action", flat=True))
    assert {"sso.bind", "sso.login", "invitation.accept", "auth.login"} <= actions
    # The IdP asserted no MFA (and is not trusted for it): the portal's own MFA step follows.
    assert client.get(reverse("dashboard"))["Location"] == reverse("mfa_activate_totp")
    assert client.session["_portal_idp"]["acr"] == "urn:idp:password"

    # The second time the binding (issuer, sub) signs in, whatever the e-mail says now.
    client.post(reverse("account_logout"))
    before = _rows()
    response = sso_sign_in(client, idp, ANALYST, identity(email="renamed@nsa.example"))
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    assert _rows() == before and not User.objects.filter(email="renamed@nsa.example").exists()


def test_an_uninvited_email_is_refused_and_nothing_is_written(client, idp, nsa_idp):
    before = _rows()
    response = sso_sign_in(client, idp, "stranger@nsa.example", identity(email="stranger@nsa.example"))
    assert response.status_code == 403
    assert "no pending invitation for stranger@nsa.example" in response.content.decode()
    assert _rows() == before
    event = AuditEvent.objects.get(action="sso.refused")
    assert (event.payload["reason"], event.payload["sub"]) == ("no_invitation", "nsa-sub-1")
    assert "_auth_user_id" not in client.session


def test_an_idp_asserting_another_organisations_domain_is_refused(client, idp, nsa_idp, demo):
    invitation_create(inviter=demo["lead_cisa"], email="analyst@cisa.example", role="agency_reviewer", agency_id=demo["cisa"].pk)
    before = _rows()
    response = sso_sign_in(client, idp, ANALYST, identity(email="analyst@cisa.example"), start_email=ANALYST)
    assert response.status_code == 403
    assert "not one of its addresses" in response.content.decode()
    assert _rows() == before
    assert AuditEvent.objects.get(action="sso.refused").payload["reason"] == "foreign_domain"


def test_an_unverified_email_is_refused(client, idp, nsa_idp, invited):
    before = _rows()
    response = sso_sign_in(client, idp, ANALYST, identity(email_verified=False))
    assert response.status_code == 403 and "has not verified your e-mail" in response.content.decode()
    assert _rows() == before
    invited.refresh_from_db()
    assert invited.status == "pending"


def test_a_second_idp_asserting_an_existing_email_cannot_take_the_account(client, idp, provider, nsa_idp, invited, demo):
    assert sso_sign_in(client, idp, ANALYST, identity()).status_code == 302
    client.post(reverse("account_logout"))
    other = provider(demo["nsa"], name="Rogue IdP", email_domains=["nsa.example"])
    before = _rows()
    from django.test import Client

    attacker = Client()
    # Routing picks the first provider for the domain; drive the rogue one directly.
    idp.next_identity = identity(sub="rogue-sub")
    response = attacker.post(reverse("portal_oidc_login", kwargs={"provider_id": other.slug}))
    import requests

    at_idp = requests.get(response["Location"], allow_redirects=False, timeout=10)  # allauth's own view redirects
    response = attacker.get(at_idp.headers["Location"].removeprefix("http://testserver"))
    assert response.status_code == 403
    assert "already signs in through another identity" in response.content.decode()
    assert _rows() == before
    assert SocialAccount.objects.get(user__email=ANALYST).uid == "nsa-sub-1"
    assert AuditEvent.objects.filter(action="sso.refused", payload__reason="bound_elsewhere").exists()


def test_a_trusted_idp_asserting_phishing_resistant_mfa_verifies_the_session(client, idp, provider, invited, demo):
    provider(demo["nsa"], name="NSA PIV", email_domains=["nsa.example"], trust_idp_mfa=True)
    response = sso_sign_in(client, idp, ANALYST, identity(amr=["hwk", "pin"], acr="http://idmanagement.gov/ns/assurance/aal/3"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200  # no portal MFA step
    assert client.session["_portal_idp"]["amr"] == ["hwk", "pin"]


def test_acr_without_mfa_leads_to_the_portals_mfa_step_even_from_a_trusted_idp(client, idp, provider, invited, demo):
    provider(demo["nsa"], name="NSA ICAM", email_domains=["nsa.example"], trust_idp_mfa=True)
    sso_sign_in(client, idp, ANALYST, identity(acr="urn:acr.login.gov:auth-only", amr=["pwd"]))
    assert client.get(reverse("dashboard"))["Location"] == reverse("mfa_activate_totp")
    assert client.get("/api/v1/reviews/").status_code == 403


def test_an_untrusted_idps_mfa_claim_does_not_verify_the_session(client, idp, nsa_idp, invited):
    sso_sign_in(client, idp, ANALYST, identity(amr=["hwk", "mfa"]))
    assert client.get(reverse("dashboard"))["Location"] == reverse("mfa_activate_totp")


def test_login_gov_profile_sends_a_signed_private_key_jwt_pkce_and_acr_values(client, idp, provider, client_key, invited, demo):
    import base64
    import hashlib

    import jwt

    key, pem = client_key
    gov = provider(
        demo["nsa"], name="Login.gov", email_domains=["nsa.example"], login_gov=True, private_key=pem, key_id="portal-2026",
        public_key=key.public_key(), client_id="urn:gov:gsa:openidconnect.profiles:sp:sso:nsa:portal",
    )
    response = sso_sign_in(client, idp, ANALYST, identity())
    assert response.status_code == 302, response.content.decode()[:500]

    [authorize] = idp.authorize_requests
    assert authorize["acr_values"] == (
        "urn:acr.login.gov:auth-only http://idmanagement.gov/ns/assurance/aal/2?phishing_resistant=true"
    )
    assert authorize["code_challenge_method"] == "S256" and authorize["nonce"] and authorize["scope"] in ("openid email", "email openid")
    [token_request] = idp.token_requests
    assert "client_secret" not in token_request
    assert token_request["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assertion = token_request["client_assertion"]
    assert jwt.get_unverified_header(assertion) == {"alg": "RS256", "typ": "JWT", "kid": "portal-2026"}
    claims = jwt.decode(assertion, key.public_key(), algorithms=["RS256"], audience=idp.token_endpoint)
    assert claims["iss"] == claims["sub"] == gov.client_id
    assert 0 < claims["exp"] - claims["iat"] <= 300 and len(claims["jti"]) >= 16
    # PKCE: the verifier sent matches the challenge the browser carried.
    digest = base64.urlsafe_b64encode(hashlib.sha256(token_request["code_verifier"].encode()).digest()).rstrip(b"=").decode()
    assert digest == authorize["code_challenge"]
    # The provider verified the assertion as Login.gov does: the same jti cannot be used twice.
    assert claims["jti"] in idp.used_jti


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("wrong_audience", "wrong audience"),
        ("wrong_nonce", "nonce does not match"),
        ("expired", "has expired"),
        ("bad_signature", "ID token is not valid"),
        ("wrong_issuer", "another issuer"),
        ("down", "did not complete"),
    ],
)
def test_bad_answers_from_the_idp_show_a_clear_page_and_create_nothing(client, idp, nsa_idp, invited, fault, says):
    before = _rows()
    idp.faults = {fault}
    if fault == "down":
        response = client.post(reverse("sso_start"), {"email": ANALYST})
        assert response.status_code in (400, 502)
    else:
        response = sso_sign_in(client, idp, ANALYST, identity())
        assert response.status_code == 400
    page = response.content.decode()
    assert says in page, page[:2000]
    assert _rows() == before
    assert AuditEvent.objects.filter(action="sso.error").exists()
    invited.refresh_from_db()
    assert invited.status == "pending"


def test_a_replayed_callback_is_refused(client, idp, nsa_idp, invited):
    idp.next_identity = identity()
    import requests

    response = client.post(reverse("sso_start"), {"email": ANALYST})
    at_idp = requests.get(idp_link(response), allow_redirects=False, timeout=10)
    callback = at_idp.headers["Location"].removeprefix("http://testserver")
    assert client.get(callback).status_code == 302
    client.post(reverse("account_logout"))
    replay = client.get(callback)
    assert replay.status_code == 400
    assert User.objects.filter(email=ANALYST).count() == 1


def test_password_login_is_refused_for_an_account_bound_to_an_idp(client, idp, nsa_idp, invited):
    sso_sign_in(client, idp, ANALYST, identity())
    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": ANALYST, "password": "anything at all 123"})
    assert response.status_code == 200
    assert "sign in through NSA ICAM, not with a password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_social_signup_form_is_closed(client):
    before = set(User.objects.values_list("pk", flat=True))
    response = client.get("/accounts/3rdparty/signup/")
    assert response.status_code in (302, 404) or "invitation only" in response.content.decode()
    assert set(User.objects.values_list("pk", flat=True)) == before


def test_routing_by_domain_says_when_there_is_no_idp(client, nsa_idp):
    response = client.post(reverse("sso_start"), {"email": "someone@northwind.example"})
    assert response.status_code == 400
    assert "use your e-mail address and password" in response.content.decode()


def test_an_invitation_into_an_sso_organisation_makes_no_password_account(client, nsa_idp, demo):
    _, token = invitation_create(inviter=demo["lead_nsa"], email="pw@nsa.example", role="agency_reviewer", agency_id=demo["nsa"].pk)
    url = reverse("invitation_accept", kwargs={"token": token})
    page = client.get(url)
    assert page.status_code == 200 and "Continue to NSA ICAM" in page.content.decode()
    client.post(url, {"full_name": "P W", "password1": "a long passphrase 1234", "password2": "a long passphrase 1234"})
    assert not User.objects.filter(email="pw@nsa.example").exists()
    # An organisation without an IdP keeps the password form.
    _, other = invitation_create(inviter=demo["lead_cisa"], email="pw@cisa.example", role="agency_reviewer", agency_id=demo["cisa"].pk)
    assert "password1" in client.get(reverse("invitation_accept", kwargs={"token": other})).content.decode()
