"""API test helpers: a client per role that authenticates with a personal token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from documents.tests.conftest import clamd_url, scanning  # noqa: F401  (the real clamd, for upload scanning)


@pytest.fixture
def token_for():
    """``token_for(user)`` → (ApiToken, plain token), created through the service."""
    from api.services import token_create

    def _make(user, **kwargs):
        return token_create(user=user, name=kwargs.pop("name", "tests"), **kwargs)

    return _make


@pytest.fixture
def api(token_for):
    """``api(user)`` → an APIClient that sends a fresh token of ``user`` (no session)."""

    def _client(user, *, accept_terms_for=()):
        from reviews.services import terms_accept

        for review in accept_terms_for:
            terms_accept(review=review, user=user)
        _, plain = token_for(user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        return client

    return _client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}
