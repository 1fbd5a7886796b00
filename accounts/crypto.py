"""Symmetric encryption for secrets kept in the database (TOTP keys)."""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet(key: str, secret_key: str) -> Fernet:
    if key:
        return Fernet(key.encode())
    # Embedded default only: derive a key from SECRET_KEY. Production requires
    # PORTAL_ENCRYPTION_KEY so that rotating SECRET_KEY keeps TOTP working.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"portal-mfa", info=b"totp").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet() -> Fernet:
    return _fernet(settings.PORTAL_ENCRYPTION_KEY, settings.SECRET_KEY)


def encrypt(text: str) -> str:
    return PREFIX + fernet().encrypt(text.encode()).decode()


def decrypt(value: str) -> str:
    if not value.startswith(PREFIX):
        raise ValueError("value is not encrypted with the portal key")
    return fernet().decrypt(value[len(PREFIX):].encode()).decode()
