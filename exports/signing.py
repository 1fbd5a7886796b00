"""The portal's Ed25519 signing key (``PORTAL_SIGNING_KEY``) and signatures of package manifests.

The signature is Ed25519 over the exact bytes of ``manifest.json``, stored
base64-encoded in ``manifest.sig``. The key id is the first 16 hex digits of
the SHA-256 of the raw public key, so a verifier can tell which key signed.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from portal.settings.env import parse_ed25519_private_key


@lru_cache(maxsize=4)
def _private_key(text: str) -> Ed25519PrivateKey:
    return parse_ed25519_private_key(text)


def signing_key() -> Ed25519PrivateKey:
    text = getattr(settings, "PORTAL_SIGNING_KEY", "")
    if not text:
        raise ImproperlyConfigured("PORTAL_SIGNING_KEY is not set: closing packages cannot be signed")
    return _private_key(text)


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem(key: Ed25519PublicKey | None = None) -> str:
    key = key or public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PublicKey | None = None) -> str:
    key = key or public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(data: bytes, key: Ed25519PrivateKey | None = None) -> bytes:
    """The base64 text of the Ed25519 signature of ``data``, as ``manifest.sig`` holds it."""
    return base64.b64encode((key or signing_key()).sign(data)) + b"\n"


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """A public key from PEM (a private key's PEM gives its public half). Raises ``ValueError``."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        key = parse_ed25519_private_key(pem.decode()).public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def signature_valid(key: Ed25519PublicKey, data: bytes, signature_text: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature_text.strip(), validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
