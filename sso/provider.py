"""allauth's OpenID Connect provider, hardened for government IdPs and Login.gov.

Over allauth's ``openid_connect`` this adds what Login.gov and the security
review require:

* the app of each ``IdentityProvider`` row (sso.adapter.list_apps), never a
  SocialApp row or a settings entry;
* ``private_key_jwt`` client authentication (RFC 7523 client assertion signed
  with the provider's private key through joserfc) besides client secrets;
* PKCE (S256) always, a ``nonce`` stashed with the state and checked against
  the ID token, ``acr_values`` from the row, and ``prompt=login&max_age=0`` for
  step-up (action=reauthenticate);
* the ID token always verified (signature from the IdP's JWKS, issuer,
  audience, expiry, nonce) — allauth skips the signature when the token came
  straight from the token endpoint; and the discovery document's ``issuer``
  must be the configured one.
"""

from __future__ import annotations

import secrets
import time
import uuid

import jwt
import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base.constants import AuthAction
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.urls import reverse
from django.utils.http import urlencode

LOGIN_GOV_DEFAULT_ACR = "urn:acr.login.gov:auth-only http://idmanagement.gov/ns/assurance/aal/2?phishing_resistant=true"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
CLOCK_SKEW_SECONDS = 60


def client_assertion(*, client_id: str, audience: str, private_key_pem: str, key_id: str = "") -> str:
    """A signed JWT proving the client (RFC 7523 §2.2), as Login.gov's private_key_jwt requires.

    iss = sub = client_id, aud = the token endpoint, a fresh jti, five minutes' life.
    """
    from joserfc import jwt as jose_jwt
    from joserfc.jwk import ECKey, RSAKey

    try:
        key = RSAKey.import_key(private_key_pem)
        alg = "RS256"
    except Exception:
        key = ECKey.import_key(private_key_pem)
        alg = "ES256"
    now = int(time.time())
    header = {"alg": alg, "typ": "JWT"}
    if key_id:
        header["kid"] = key_id
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "jti": uuid.uuid4().hex, "iat": now, "exp": now + 300}
    return jose_jwt.encode(header, claims, key, algorithms=[alg])


class PortalOAuth2Client(OAuth2Client):
    """Token requests with client_secret_post or private_key_jwt (never a secret in a URL)."""

    def __init__(self, *args, idp=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.idp = idp

    def get_access_token(self, code, pkce_code_verifier=None, extra_data=None):
        from .services import idp_private_key

        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.callback_url}
        if pkce_code_verifier:
            data["code_verifier"] = pkce_code_verifier
        key = idp_private_key(self.idp)
        if key:
            data["client_id"] = self.consumer_key
            data["client_assertion_type"] = ASSERTION_TYPE
            data["client_assertion"] = client_assertion(
                client_id=self.consumer_key, audience=self.access_token_url, private_key_pem=key, key_id=self.idp.key_id
            )
        else:
            data["client_id"] = self.consumer_key
            data["client_secret"] = self.consumer_secret
        with get_adapter().get_requests_session() as session:
            response = session.post(self.access_token_url, data=data, headers={"Accept": "application/json"})
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            error = body.get("error") or f"HTTP {response.status_code}"
            raise OAuth2Error(f"The identity provider refused the code: {error}")
        return body


class PortalOIDCAdapter(OpenIDConnectOAuth2Adapter):
    client_class = PortalOAuth2Client

    @property
    def idp(self):
        return self.get_provider().idp

    @property
    def openid_config(self):
        if not hasattr(self, "_openid_config"):
            issuer = self.idp.issuer.rstrip("/")
            with get_adapter().get_requests_session() as session:
                response = session.get(f"{issuer}/.well-known/openid-configuration")
                response.raise_for_status()
                config = response.json()
            if str(config.get("issuer", "")).rstrip("/") != issuer:
                raise OAuth2Error("The identity provider's discovery document names another issuer.")
            self._openid_config = config
        return self._openid_config

    @property
    def basic_auth(self):
        return False

    def get_client(self, request, app):
        return self.client_class(
            self.request,
            app.client_id,
            app.secret,
            "POST",
            self.access_token_url,
            self.get_callback_url(request, app),
            idp=self.idp,
        )

    def get_callback_url(self, request, app):
        from allauth.utils import build_absolute_uri

        path = reverse("portal_oidc_callback", kwargs={"provider_id": self.provider_id})
        return build_absolute_uri(request, path, self.redirect_uri_protocol)

    def complete_login(self, request, app, token, **kwargs):
        raw = kwargs["response"].get("id_token")
        if not raw:
            raise OAuth2Error("The identity provider sent no ID token.")
        claims = self.verify_id_token(raw)
        expected = (getattr(self, "state", None) or {}).get("nonce")
        if not expected or claims.get("nonce") != expected:
            raise OAuth2Error("The ID token's nonce does not match this sign-in (a replayed or foreign token).")
        data = {"id_token": claims}
        if self.openid_config.get("userinfo_endpoint"):
            userinfo = self._fetch_user_info(token.token)
            if userinfo.get("sub") != claims["sub"]:
                raise OAuth2Error("The identity provider's user info is about someone else.")
            data["userinfo"] = {**claims, **userinfo}
        return self.get_provider().sociallogin_from_response(request, data)

    def verify_id_token(self, raw: str) -> dict:
        config = self.openid_config
        try:
            header = jwt.get_unverified_header(raw)
            jwks = jwt.PyJWKClient(config["jwks_uri"], cache_keys=False, timeout=10)
            if header.get("kid"):
                key = jwks.get_signing_key(header["kid"]).key
            else:
                keys = jwks.get_signing_keys()
                if len(keys) != 1:
                    raise OAuth2Error("The ID token names no key and the IdP publishes several.")
                key = keys[0].key
            return jwt.decode(
                raw,
                key=key,
                algorithms=ID_TOKEN_ALGORITHMS,
                audience=self.get_provider().app.client_id,
                issuer=config["issuer"],
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise OAuth2Error("The identity provider's ID token has expired.") from None
        except jwt.InvalidAudienceError:
            raise OAuth2Error("The ID token was issued for another client (wrong audience).") from None
        except jwt.InvalidIssuerError:
            raise OAuth2Error("The ID token was issued by another issuer.") from None
        except (jwt.PyJWTError, jwt.PyJWKClientError, requests.RequestException, KeyError) as exc:
            raise OAuth2Error(f"The identity provider's ID token is not valid ({exc.__class__.__name__}).") from None


class PortalOIDCProvider(OpenIDConnectProvider):
    id = "portal_oidc"
    name = "Organisation sign-in"
    oauth2_adapter_class = PortalOIDCAdapter
    pkce_enabled_default = True

    @property
    def idp(self):
        from .models import IdentityProvider

        if not hasattr(self, "_idp"):
            self._idp = IdentityProvider.objects.select_related("agency", "company").get(slug=self.app.provider_id, enabled=True)
        return self._idp

    def get_pkce_params(self) -> dict:
        from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge

        return generate_code_challenge()  # S256, always

    def get_scope(self):
        return ["openid", "email"] if self.idp.login_gov else ["openid", "email", "profile"]

    def get_scope_from_request(self, request):
        return self.get_scope()  # never widened by the request

    def get_auth_params(self):
        params = {}
        acr = self.idp.acr_values or (LOGIN_GOV_DEFAULT_ACR if self.idp.login_gov else "")
        if acr:
            params["acr_values"] = acr
        return params

    def get_auth_params_from_request(self, request, action):
        params = self.get_auth_params()  # the request's own auth_params are ignored
        if action == AuthAction.REAUTHENTICATE:
            params.update({"prompt": "login", "max_age": "0"})
        return params

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(24)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params["nonce"] = nonce
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)

    def get_login_url(self, request, **kwargs):
        url = reverse("portal_oidc_login", kwargs={"provider_id": self.app.provider_id})
        return f"{url}?{urlencode(kwargs)}" if kwargs else url

    def get_callback_url(self):
        return reverse("portal_oidc_callback", kwargs={"provider_id": self.app.provider_id})

    def extract_uid(self, data):
        return str(data["id_token"]["sub"])


provider_classes = [PortalOIDCProvider]
