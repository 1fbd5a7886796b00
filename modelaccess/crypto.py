"""Encryption of credentials at rest: MultiFernet over ``PORTAL_CREDENTIAL_KEYS``.

The first key encrypts; every key decrypts, so a new key is put first, the
old one kept second until ``manage.py rotate_secrets_key`` has re-encrypted
every stored secret under the new one, then removed. The keys are the
credentials' own (never ``SECRET_KEY``, never ``PORTAL_ENCRYPTION_KEY``).

What is encrypted is a small JSON document (``{"secret": …, "username": …}``
or a file's bytes in base64); nothing here logs or returns it in an error.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables


class SecretUnreadable(Exception):
    """A stored secret no configured key decrypts (the message never holds it)."""


@lru_cache(maxsize=8)
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("PORTAL_CREDENTIAL_KEYS is empty: credentials cannot be encrypted")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured("PORTAL_CREDENTIAL_KEYS holds a key that is not a Fernet key") from None


def multifernet() -> MultiFernet:
    return _multi(tuple(settings.PORTAL_CREDENTIAL_KEYS))


@sensitive_variables()
def seal(payload: dict) -> str:
    """The Fernet token (ASCII) of ``payload`` under the first key."""
    return multifernet().encrypt(json.dumps(payload, separators=(",", ":")).encode()).decode()


@sensitive_variables()
def unseal(token: str) -> dict:
    try:
        return json.loads(multifernet().decrypt(token.encode()))
    except InvalidToken:
        raise SecretUnreadable("no configured key decrypts this credential") from None


def rotate(token: str) -> str:
    """The same secret re-encrypted under the first key."""
    try:
        return multifernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("no configured key decrypts this credential") from None


@sensitive_variables()
def file_payload(content: bytes) -> dict:
    return {"file": base64.b64encode(content).decode()}


@sensitive_variables()
def file_content(payload: dict) -> bytes:
    return base64.b64decode(payload["file"])
