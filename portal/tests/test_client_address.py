"""Behind a proxy the client address is the client's (issue 14, item 10): one rule
(portal.http.client_address) for allauth's rate limits, user sessions, API throttles
and the audit trail; a spoofed X-Forwarded-For moves none of them."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.tests.factories import make_user
from audit.models import AuditEvent
from portal.http import client_address

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"  # the nginx in front of the portal: REMOTE_ADDR of every request
CLIENT = "198.51.100.7"  # what nginx appends: the address it received the request from
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def one_proxy(settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "", PROXY),
        (0, f"6.6.6.6, {CLIENT}", PROXY),  # no proxy configured: the header is the client's own words
        (1, CLIENT, CLIENT),
        (1, f"6.6.6.6, {CLIENT}", CLIENT),  # the client's own prefix is ignored
        (1, f"not-an-ip, {CLIENT}", CLIENT),
        (1, "", PROXY),  # bypassed the proxy: the nearest hop
        (1, "6.6.6.6, not-an-ip", PROXY),
        (2, f"6.6.6.6, {CLIENT}, 10.0.0.9", CLIENT),  # load balancer + nginx
        (2, CLIENT, PROXY),  # fewer hops than proxies: never guess
    ],
)
def test_client_address_takes_the_nth_hop_from_the_right(settings, count, forwarded, expected):
    settings.PORTAL_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_allauth_and_the_audit_trail_agree(one_proxy, client):
    from allauth.account.adapter import get_adapter

    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CLIENT}")
    assert get_adapter(request).get_client_ip(request) == CLIENT

    user = make_user(password=PASSWORD)
    client.post(
        reverse("account_login"),
        {"login": user.email, "password": "wrong password!"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"203.0.113.66, {CLIENT}",
    )
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.client_address == CLIENT  # neither the proxy nor the forged first entry


def test_a_spoofed_forwarded_for_cannot_escape_the_login_rate_limit(one_proxy, client):
    # "10/m/ip": ten failures per minute from one client address, whatever it claims in front.
    users = [make_user(password=PASSWORD) for _ in range(11)]
    for i, user in enumerate(users[:10]):
        response = client.post(
            reverse("account_login"),
            {"login": user.email, "password": "wrong password!"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, {CLIENT}",
        )
        assert "not correct" in response.content.decode()
    response = client.post(
        reverse("account_login"),
        {"login": users[10].email, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"192.0.2.99, {CLIENT}",
    )
    assert "Too many failed login attempts" in response.content.decode()
    # Another real client behind the same proxy is not locked out with them.
    response = client.post(
        reverse("account_login"),
        {"login": users[10].email, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert response.status_code == 302


def test_api_throttle_counts_per_user_across_tokens(demo, settings):
    from rest_framework.test import APIClient

    from api.services import token_create

    settings.PORTAL_API_THROTTLE_RATE = "3/min"
    settings.PORTAL_API_USER_THROTTLE_RATE = "4/min"
    clients = []
    for name in ("one", "two", "three"):
        _, plain = token_create(user=demo["admin"], name=name)
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        clients.append(c)
    one, two, three = clients
    assert [one.get("/api/v1/agencies/").status_code for _ in range(2)] == [200, 200]
    assert [two.get("/api/v1/agencies/").status_code for _ in range(2)] == [200, 200]
    # Each token used 2 of its 3, but the user has used their 4: a fresh token does not help.
    response = three.get("/api/v1/agencies/")
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "throttled"
    # Someone else is not affected.
    _, plain = token_create(user=demo["lead_nsa"], name="x")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert other.get("/api/v1/agencies/").status_code == 200
