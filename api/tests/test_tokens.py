"""Personal API tokens: created on the profile page (shown once, stored hashed), used, expired, revoked."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import token_create, token_revoke
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"frp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def bearer(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def unauthorized(message: str) -> dict:
    return {"errors": [{"field": None, "code": "authentication_failed", "message": message}]}


def test_token_is_stored_only_as_a_hash(demo):
    token, plain = token_create(user=demo["liaison_northwind"], name="release pipeline")
    assert TOKEN_RE.fullmatch(plain)
    token.refresh_from_db()
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in str([getattr(token, f.attname) for f in ApiToken._meta.fields])
    assert plain.startswith(f"frp_{token.prefix}_")
    event = AuditEvent.objects.filter(action="api_token.create").latest("id")
    assert event.actor_id == demo["liaison_northwind"].pk and plain not in str(event.payload)


def test_token_authenticates_with_the_users_own_scope(demo):
    _, plain = token_create(user=demo["liaison_contoso"], name="ci")
    response = bearer(plain).get("/api/v1/reviews/")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [demo["helix"].pk]
    assert bearer(plain).get(f"/api/v1/reviews/{demo['atlas'].pk}/").status_code == 404


def test_last_used_is_stamped_at_most_once_a_minute(demo, django_assert_num_queries):
    token, plain = token_create(user=demo["admin"], name="ci")
    client = bearer(plain)
    client.get("/api/v1/agencies/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/agencies/")
    token.refresh_from_db()
    assert token.last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        client.get("/api/v1/agencies/")
    token.refresh_from_db()
    assert token.last_used_at > first


@pytest.mark.parametrize(
    "header,message",
    [
        ("Bearer frp_000000000000_" + "a" * 43, "Invalid token."),
        ("Bearer not-a-token", "Invalid token."),
        ("Bearer", "Send the token as 'Authorization: Bearer <token>'."),
    ],
)
def test_unknown_or_malformed_token_is_401(demo, header, message):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/reviews/")
    assert response.status_code == 401
    assert response.json() == unauthorized(message)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_with_a_right_prefix_but_wrong_secret_is_401(demo):
    token, plain = token_create(user=demo["admin"], name="ci")
    forged = plain[:-4] + ("aaaa" if not plain.endswith("aaaa") else "bbbb")
    response = bearer(forged).get("/api/v1/reviews/")
    assert response.status_code == 401 and response.json() == unauthorized("Invalid token.")


def test_revoked_token_is_401_at_once(demo):
    token, plain = token_create(user=demo["lead_nsa"], name="tracker")
    client = bearer(plain)
    assert client.get("/api/v1/reviews/").status_code == 200
    token_revoke(token_id=token.pk, actor=demo["lead_nsa"])
    response = client.get("/api/v1/reviews/")
    assert response.status_code == 401 and response.json() == unauthorized("This token was revoked (by its owner).")
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=demo["lead_nsa"]).exists()


def test_expired_token_is_401(demo):
    _, plain = token_create(user=demo["lead_nsa"], name="tracker", expires_at=timezone.now() + timedelta(days=1))
    assert bearer(plain).get("/api/v1/reviews/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = bearer(plain).get("/api/v1/reviews/")
    assert response.status_code == 401 and response.json() == unauthorized("This token has expired.")


def test_deactivated_users_token_is_401(demo):
    _, plain = token_create(user=demo["reviewer_nsa"], name="x")
    user = demo["reviewer_nsa"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = bearer(plain).get("/api/v1/reviews/")
    # Deactivation revokes every token (api.receivers), so it stays dead if the account comes back.
    assert response.status_code == 401 and response.json() == unauthorized("This token was revoked (account deactivated).")


def test_expiry_in_the_past_and_empty_name_are_refused(demo):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        token_create(user=demo["admin"], name=" ", expires_at=timezone.now() - timedelta(seconds=1))
    assert set(exc.value.message_dict) == {"name", "expires_at"}
    assert not ApiToken.objects.exists()


def test_one_cannot_revoke_someone_elses_token(demo):
    from django.core.exceptions import PermissionDenied

    token, _ = token_create(user=demo["admin"], name="x")
    with pytest.raises(PermissionDenied):
        token_revoke(token_id=token.pk, actor=demo["lead_nsa"])
    token.refresh_from_db()
    assert token.revoked_at is None


# --- the profile page ---------------------------------------------------------------


def test_profile_page_creates_a_token_and_shows_it_once(demo, login):
    client = login(demo["liaison_northwind"])
    response = client.post("/people/api-tokens/", {"name": "release pipeline", "expires_in_days": "30"})
    assert response.status_code == 201
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    [plain] = TOKEN_RE.findall(response.content.decode())
    token = ApiToken.objects.get(user=demo["liaison_northwind"])
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    page = client.get("/people/api-tokens/").content.decode()
    assert plain not in page and f"frp_{token.prefix}_…" in page and "release pipeline" in page
    assert bearer(plain).get("/api/v1/reviews/").status_code == 200


def test_profile_page_revokes_a_token(demo, login):
    token, plain = token_create(user=demo["lead_cisa"], name="tracker")
    client = login(demo["lead_cisa"])
    response = client.post(f"/people/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(plain).get("/api/v1/reviews/").status_code == 401
    assert "Revoked" in client.get("/people/api-tokens/").content.decode()


def test_profile_page_lists_only_ones_own_tokens_and_refuses_others(demo, login):
    mine, _ = token_create(user=demo["lead_cisa"], name="mine-token")
    theirs, _ = token_create(user=demo["admin"], name="their-token")
    client = login(demo["lead_cisa"])
    page = client.get("/people/api-tokens/").content.decode()
    assert "mine-token" in page and "their-token" not in page
    assert client.post(f"/people/api-tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_creating_a_token_needs_an_mfa_verified_session(demo, client):
    # Signed in but without TOTP: sent to set it up, and no token is made.
    client.force_login(demo["reviewer_cisa"], backend="accounts.backends.PortalAuthenticationBackend")
    response = client.post("/people/api-tokens/", {"name": "x", "expires_in_days": ""})
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
    assert not ApiToken.objects.exists()


# --- the browser session on the API ---------------------------------------------------------


def test_mfa_session_works_on_the_api(demo, login):
    response = login(demo["reviewer_cisa"]).get("/api/v1/reviews/")
    assert response.status_code == 200
    assert sorted(r["id"] for r in response.json()["results"]) == sorted([demo["helix"].pk, demo["atlas_mini"].pk])


def test_session_without_mfa_is_refused_on_the_api(demo, client):
    client.force_login(demo["reviewer_cisa"], backend="accounts.backends.PortalAuthenticationBackend")
    response = client.get("/api/v1/reviews/")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "mfa_required"


def test_session_writes_need_the_csrf_token(demo):
    from conftest import give_totp

    give_totp(demo["liaison_northwind"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo["liaison_northwind"], backend="accounts.backends.PortalAuthenticationBackend")
    response = client.post(f"/api/v1/reviews/{demo['atlas'].pk}/withdraw/", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["errors"][0]["message"]
    demo["atlas"].refresh_from_db()
    assert demo["atlas"].status == "in_review"


def test_idle_session_on_the_api_is_401_not_a_redirect(demo, login, settings):
    client = login(demo["admin"])
    assert client.get("/api/v1/agencies/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.PORTAL_SESSION_IDLE_MINUTES + 1)):
        response = client.get("/api/v1/agencies/")
    assert response.status_code == 401
