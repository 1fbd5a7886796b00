"""A real OpenID Connect provider on loopback, run by the tests (no mocked HTTP).

It serves discovery, JWKS, the authorization endpoint (consent is automatic:
the identity is what the test set in ``next_identity``), the token endpoint
and userinfo, over real HTTP on 127.0.0.1. The token endpoint *verifies* what
a real IdP verifies — the client secret, or the ``private_key_jwt`` client
assertion's signature against the registered public key and its claims
(iss = sub = client_id, aud = the token endpoint, unexpired, unused jti),
PKCE (S256), the redirect URI, one use per code — and records every request
so tests can assert what the portal sent. ``faults`` make it misbehave on
purpose (wrong audience, wrong nonce, expired ID token, bad signature, down).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(private_key, kid: str) -> dict:
    numbers = private_key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": _b64(numbers.n), "e": _b64(numbers.e)}


class LocalIdP:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "idp-key-1"
        self.clients: dict[str, dict] = {}  # client_id → {"secret": str} or {"public_key": key}
        self.next_identity: dict = {}
        self.faults: set[str] = set()
        self.codes: dict[str, dict] = {}
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.used_jti: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LocalIdP:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        self.next_identity, self.faults = {}, set()
        self.codes.clear()
        self.authorize_requests.clear()
        self.token_requests.clear()

    def register(self, client_id: str, *, secret: str | None = None, public_key=None) -> None:
        self.clients[client_id] = {"secret": secret, "public_key": public_key}

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    # -- the protocol ------------------------------------------------------------------------------
    def _id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer if "wrong_issuer" not in self.faults else "http://127.0.0.1:1",
            "aud": grant["client_id"] if "wrong_audience" not in self.faults else "someone-else",
            "sub": grant["identity"]["sub"],
            "iat": now - (7200 if "expired" in self.faults else 0),
            "exp": now + (-3600 if "expired" in self.faults else 300),
            "nonce": grant["nonce"] if "wrong_nonce" not in self.faults else "not-the-nonce",
            **{k: v for k, v in grant["identity"].items() if k != "sub"},
        }
        key = self.key if "bad_signature" not in self.faults else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def _check_client(self, form: dict) -> str | None:
        client_id = form.get("client_id", "")
        client = self.clients.get(client_id)
        if client is None:
            return "invalid_client"
        if client["public_key"] is not None:
            if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                return "invalid_client"
            try:
                claims = jwt.decode(
                    form.get("client_assertion", ""),
                    client["public_key"],
                    algorithms=["RS256", "ES256"],
                    audience=self.token_endpoint,
                    issuer=client_id,
                    options={"require": ["exp", "iat", "jti", "sub", "iss", "aud"]},
                )
            except jwt.PyJWTError:
                return "invalid_client"
            if claims["sub"] != client_id or claims["jti"] in self.used_jti:
                return "invalid_client"
            self.used_jti.add(claims["jti"])
            return None
        if form.get("client_secret") != client["secret"]:
            return "invalid_client"
        return None

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if "down" in idp.faults:
                    return self._json(503, {"error": "temporarily_unavailable"})
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    return self._json(
                        200,
                        {
                            "issuer": idp.issuer,
                            "authorization_endpoint": f"{idp.issuer}/authorize",
                            "token_endpoint": idp.token_endpoint,
                            "userinfo_endpoint": f"{idp.issuer}/userinfo",
                            "jwks_uri": f"{idp.issuer}/jwks",
                            "response_types_supported": ["code"],
                            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                            "code_challenge_methods_supported": ["S256"],
                        },
                    )
                if url.path == "/jwks":
                    return self._json(200, {"keys": [public_jwk(idp.key, idp.kid)]})
                if url.path == "/authorize":
                    idp.authorize_requests.append(query)
                    code = secrets.token_urlsafe(16)
                    idp.codes[code] = {
                        "client_id": query.get("client_id"),
                        "redirect_uri": query.get("redirect_uri"),
                        "nonce": query.get("nonce"),
                        "challenge": query.get("code_challenge"),
                        "identity": dict(idp.next_identity),
                    }
                    target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                    return None
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    for grant in idp.codes.values():
                        if grant.get("access_token") == token:
                            return self._json(200, grant["identity"])
                    return self._json(401, {"error": "invalid_token"})
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/token":
                    return self._json(404, {"error": "not_found"})
                idp.token_requests.append(form)
                if "down" in idp.faults:
                    return self._json(503, {"error": "temporarily_unavailable"})
                error = idp._check_client(form)
                if error:
                    return self._json(401, {"error": error})
                grant = idp.codes.get(form.get("code", ""))
                if grant is None or grant.get("used") or grant["redirect_uri"] != form.get("redirect_uri"):
                    return self._json(400, {"error": "invalid_grant"})
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if not grant["challenge"] or challenge != grant["challenge"]:
                    return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                grant["used"] = True
                grant["access_token"] = secrets.token_urlsafe(16)
                return self._json(
                    200,
                    {"access_token": grant["access_token"], "token_type": "Bearer", "expires_in": 300, "id_token": idp._id_token(grant)},
                )

        return Handler
