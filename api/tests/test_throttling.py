import pytest

from api.services import token_create

pytestmark = pytest.mark.django_db


def test_each_token_has_its_own_rate_limit(demo, settings):
    from rest_framework.test import APIClient

    settings.PORTAL_API_THROTTLE_RATE = "3/min"
    clients = []
    for name in ("one", "two"):
        _, plain = token_create(user=demo["admin"], name=name)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        clients.append(client)
    first, second = clients
    assert [first.get("/api/v1/agencies/").status_code for _ in range(3)] == [200, 200, 200]
    response = first.get("/api/v1/agencies/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (None, "throttled")
    assert second.get("/api/v1/agencies/").status_code == 200  # the other token is not affected
