"""Model access on the API (issue 21, item 6): liaisons issue and revoke with a
token; nobody reads a secret; bad input is refused naming the field, never echoing it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from modelaccess.models import Credential

from .conftest import SECRET

pytestmark = pytest.mark.django_db


def _issue_body(world, **change):
    return {"review": world["review"].pk, "endpoint": world["endpoint"].pk, "reviewer": "NSA reviewer 2", "kind": "api_key",
            "secret": SECRET, **change}


def test_liaison_issues_and_revokes_through_the_api(world, api):
    client = api(world["liaison_northwind"])
    response = client.post(reverse("api:credential-list"), _issue_body(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "review", "endpoint", "reviewer", "kind", "status", "status_detail", "issued_at", "revealed_at",
                         "revoked_at", "ended_at", "rotated_at"}
    assert (body["reviewer"], body["status"]) == ("NSA reviewer 2", "set_up")
    assert Credential.objects.get(pk=body["id"]).reviewer == world["second"]
    revoked = client.post(reverse("api:credential-revoke", kwargs={"pk": body["id"]}), {"reason": "Rotated early"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert SECRET not in response.content.decode() + revoked.content.decode()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"reviewer": "NSA reviewer 3"}, "reviewer", "invalid"),  # invited, not accepted
        ({"reviewer": "CISA reviewer 1"}, "reviewer", "invalid"),  # not on the review
        ({"secret": ""}, "secret", "blank"),
        ({"secret": "z" * 5000}, "secret", "invalid"),
        ({"kind": "file"}, "kind", "invalid"),
        ({"kind": "ssh"}, "kind", "invalid_choice"),
        ({"endpoint": 999_999}, "endpoint", "invalid"),
        ({"token": SECRET}, "token", "unknown_field"),
    ],
)
def test_bad_input_is_refused_naming_the_field_without_echoing_the_secret(world, api, change, field, code):
    response = api(world["liaison_northwind"]).post(reverse("api:credential-list"), _issue_body(world, **change), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == (field, code), errors
    assert SECRET not in response.content.decode() and "zzzz" not in response.content.decode()
    assert Credential.objects.count() == 0


@pytest.mark.parametrize("who", ["first", "lead_nsa"])
def test_agency_users_cannot_issue_or_revoke_and_read_no_secret(world, api, issued, who):
    client = api(world[who], accept_terms_for=[world["review"]])
    assert client.post(reverse("api:credential-list"), _issue_body(world), format="json").status_code == 403
    assert client.post(reverse("api:credential-revoke", kwargs={"pk": issued.pk}), {}, format="json").status_code == 403
    listed = client.get(reverse("api:credential-list"), {"review": world["review"].pk})
    assert [c["id"] for c in listed.json()["results"]] == [issued.pk]
    assert SECRET not in listed.content.decode()
    assert Credential.objects.get().revoked_at is None
