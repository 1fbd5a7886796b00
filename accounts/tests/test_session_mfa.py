"""MFA belongs to the session: a password-only session stays unverified when the
account enrols an authenticator elsewhere (issue 14, item 1)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import token_create
from audit.models import AuditEvent
from conftest import give_totp, totp_now

from .factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def _password_only_session(user) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _enrol_totp_in(client) -> str:
    """Enrols TOTP through the real setup page in ``client``'s session; returns the secret."""
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


# allauth announces an enrolment after its transaction commits, inside the request (as in
# production); these tests commit for real so that it happens as it does there.
transactional = pytest.mark.django_db(transaction=True)


@transactional
def test_enrolment_elsewhere_does_not_verify_a_password_only_session_on_the_web():
    user = make_user(password=PASSWORD, role="agency_reviewer")
    attacker = _password_only_session(user)  # signed in while the account had no authenticator
    owner = _password_only_session(user)
    _enrol_totp_in(owner)

    # The session that enrolled is verified …
    assert owner.get(reverse("dashboard")).status_code == 200
    # … the other one is not: it is asked for a code from its existing authenticator.
    response = attacker.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    # Its attempts to gain a factor by password alone are refused: adding a passkey or
    # new recovery codes needs the existing second factor first.
    reauth = attacker.get(reverse("mfa_reauthenticate"))
    assert reauth.status_code == 200
    assert attacker.get(reverse("account_reauthenticate")).status_code in (302, 403)


@transactional
def test_enrolment_elsewhere_does_not_verify_a_password_only_session_on_the_api():
    user = make_user(password=PASSWORD, role="agency_reviewer")
    attacker = _password_only_session(user)
    owner = _password_only_session(user)
    _enrol_totp_in(owner)

    assert owner.get("/api/v1/reviews/").status_code == 200
    response = attacker.get("/api/v1/reviews/")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "mfa_required"


@transactional
def test_a_code_in_the_unverified_session_verifies_it():
    user = make_user(password=PASSWORD, role="agency_reviewer")
    other = _password_only_session(user)
    owner = _password_only_session(user)
    secret = _enrol_totp_in(owner)
    from django.core.cache import cache

    cache.clear()  # the enrolment code was spent; the next one of the same period would be refused
    response = other.post(reverse("mfa_reauthenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert other.get(reverse("dashboard")).status_code == 200
    assert other.get("/api/v1/reviews/").status_code == 200


def test_a_forced_password_only_session_of_an_enrolled_user_is_not_verified(demo, client):
    give_totp(demo["reviewer_cisa"])
    client.force_login(demo["reviewer_cisa"], backend="accounts.backends.PortalAuthenticationBackend")
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("mfa_reauthenticate"))
    assert client.get("/api/v1/reviews/").status_code == 403
    response = client.post("/people/api-tokens/", {"name": "x", "expires_in_days": ""})
    assert response.status_code == 302 and not ApiToken.objects.exists()


def test_token_page_refuses_an_unverified_session_even_in_demo_mode(demo, client, settings):
    settings.PORTAL_REQUIRE_MFA = False
    client.force_login(demo["liaison_northwind"], backend="accounts.backends.PortalAuthenticationBackend")
    assert client.get(reverse("dashboard")).status_code == 200  # demo mode lets the pages through
    response = client.post("/people/api-tokens/", {"name": "x", "expires_in_days": ""})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    assert not ApiToken.objects.exists()


@transactional
def test_mfa_setup_page_shows_a_minimal_layout():
    from notifications.services import notification_send

    user = make_user(password=PASSWORD, role="agency_reviewer")
    notification_send(recipients=[user], verb="assignment.invited", title="You were assigned to Secret-Model-7", by_email=False)
    client = _password_only_session(user)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "bell-menu" not in html and "unread" not in html and "/notifications/" not in html
    assert "Secret-Model-7" not in html
    assert reverse("review_list") not in html and reverse("api_token_list") not in html
    assert "Sign out" in html
    # Once verified, the full layout with the bell comes back.
    _enrol_totp_in(client)
    html = client.get(reverse("dashboard")).content.decode()
    assert "bell-menu" in html and "Secret-Model-7" in html


# --- tokens die with the credentials they were minted under ------------------------------------------


def _bearer(plain):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def test_every_token_dies_when_the_password_changes(demo):
    user = demo["liaison_northwind"]
    _, one = token_create(user=user, name="one")
    _, two = token_create(user=user, name="two")
    _, theirs = token_create(user=demo["liaison_contoso"], name="other user")
    user.set_password("a whole new passphrase 2026")
    user.save()
    for plain in (one, two):
        response = _bearer(plain).get("/api/v1/reviews/")
        assert response.status_code == 401
        assert response.json()["errors"][0]["message"] == "This token was revoked (password changed)."
    assert _bearer(theirs).get("/api/v1/reviews/").status_code == 200
    event = AuditEvent.objects.get(action="api_token.revoke_all")
    assert event.payload["reason"] == "password changed" and len(event.payload["prefixes"]) == 2


def test_every_token_dies_on_password_reset_through_allauth(demo, client, django_capture_on_commit_callbacks):
    user = demo["liaison_northwind"]
    _, plain = token_create(user=user, name="ci")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    [message] = mail.outbox
    import re

    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", message.body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"password1": "brand new passphrase 77", "password2": "brand new passphrase 77"})
    assert response.status_code == 302
    assert _bearer(plain).get("/api/v1/reviews/").status_code == 401


def test_a_hasher_upgrade_at_login_does_not_kill_tokens(demo):
    user = demo["liaison_northwind"]
    user.set_password(PASSWORD)
    user.save()
    _, plain = token_create(user=user, name="ci")
    # What check_password's setter does when the hasher's iterations change: a new hash, same password.
    user.set_password(PASSWORD)
    user._password = None
    user.save(update_fields=["password"])
    assert _bearer(plain).get("/api/v1/reviews/").status_code == 200


def test_every_token_dies_when_mfa_is_reset(demo):
    user = demo["lead_nsa"]
    give_totp(user)
    _, plain = token_create(user=user, name="tracker")
    Authenticator.objects.filter(user=user).delete()  # the admin's reset
    response = _bearer(plain).get("/api/v1/reviews/")
    assert response.status_code == 401
    assert "two-factor authentication reset" in response.json()["errors"][0]["message"]


def test_every_token_dies_on_deactivation_and_stays_dead_after_reactivation(demo):
    from accounts.services import user_deactivate

    user = demo["reviewer_nsa"]
    _, plain = token_create(user=user, name="x")
    user_deactivate(user=user, actor=demo["admin"])
    user.is_active = True
    user.save(update_fields=["is_active"])
    response = _bearer(plain).get("/api/v1/reviews/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "This token was revoked (account deactivated)."
