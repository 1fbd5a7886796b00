"""One local OIDC provider for the whole test session (sso.tests.idp), and a sign-in driver."""

from __future__ import annotations

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from .idp import LocalIdP


@pytest.fixture(scope="session")
def idp_server():
    server = LocalIdP().start()
    yield server
    server.stop()


@pytest.fixture
def idp(idp_server):
    idp_server.reset()
    yield idp_server
    idp_server.reset()


@pytest.fixture(scope="session")
def client_key():
    """The portal's private_key_jwt key pair (the public half is what one registers at Login.gov)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return key, pem


@pytest.fixture
def provider(idp, demo):
    """``provider(org, **fields)`` → an IdentityProvider row pointing at the local IdP (client secret by default)."""
    from sso.services import identity_provider_save

    def _make(org, *, client_id=None, secret="s3cret-value", private_key="", public_key=None, **fields):
        client_id = client_id or f"portal-{org.pk}-{len(idp.clients)}"
        idp.register(client_id, secret=None if private_key else secret, public_key=public_key)
        from agencies.models import Agency

        kwargs = {"agency_id": org.pk} if isinstance(org, Agency) else {"company_id": org.pk}
        fields.setdefault("name", f"{org} IdP")
        fields.setdefault("email_domains", ["agency.example"])
        return identity_provider_save(
            actor=demo["admin"], issuer=idp.issuer, client_id=client_id,
            client_secret="" if private_key else secret, private_key=private_key, **kwargs, **fields,
        )

    return _make


def idp_link(response) -> str:
    """The IdP URL of the "Continuing to …" page (a link, not a redirect: see sso.views)."""
    import html
    import re

    assert response.status_code == 200, response.content.decode()[:500]
    found = re.search(r'id="continue-to-idp" href="([^"]+)"', response.content.decode())
    assert found, response.content.decode()[:2000]
    return html.unescape(found.group(1))


def sso_sign_in(client, idp, email: str, identity: dict, *, start_email: str | None = None):
    """Drives the whole redirect dance: the portal → the IdP (real HTTP) → the portal's callback.

    Returns the callback's response (the portal's answer after the token exchange).
    """
    idp.next_identity = identity
    response = client.post(reverse("sso_start"), {"email": start_email or email})
    at_idp = requests.get(idp_link(response), allow_redirects=False, timeout=10)
    assert at_idp.status_code == 302, at_idp.text
    callback = at_idp.headers["Location"]
    assert callback.startswith("http://testserver/")
    return client.get(callback.removeprefix("http://testserver"))
