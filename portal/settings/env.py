"""Reading the environment, with start-up errors a person can act on.

A missing or malformed variable stops the process with one line that names
it (``SystemExit`` prints its message and exits 1, with no traceback), so an
operator does not have to read a Django stack trace to learn which variable
is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()


def fail(message: str) -> None:
    raise SystemExit(f"Configuration error: {message}")


def _read(name: str, reader, default: Any, required: bool, hint: str) -> Any:
    if name not in os.environ or os.environ[name] == "":
        if required:
            fail(f"{name} is required{(': ' + hint) if hint else ''}")
        return default
    try:
        return reader(name)
    except Exception as exc:  # environ raises a mix of ValueError/ImproperlyConfigured
        fail(f"{name} is malformed ({exc.__class__.__name__}: {exc}){(': ' + hint) if hint else ''}")


def get_str(name: str, default: str = "", *, required: bool = False, hint: str = "") -> str:
    return _read(name, env.str, default, required, hint)


def get_bool(name: str, default: bool, *, hint: str = "") -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    fail(f"{name} is malformed: expected true or false, got {raw!r}")
    return default


def get_int(name: str, default: int, *, minimum: int | None = None, hint: str = "") -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        fail(f"{name} is malformed: expected a whole number, got {raw!r}")
    if minimum is not None and value < minimum:
        fail(f"{name} is malformed: must be at least {minimum}, got {value}")
    return value


def get_list(name: str, default: list[str], *, required: bool = False, hint: str = "") -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        if required:
            fail(f"{name} is required{(': ' + hint) if hint else ''}")
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def get_db(name: str, default: str, *, required: bool = False, hint: str = "") -> dict:
    raw = os.environ.get(name) or ""
    if not raw:
        if required:
            fail(f"{name} is required{(': ' + hint) if hint else ''}")
        raw = default
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in environ.Env.DB_SCHEMES:
        fail(f"{name} is malformed: expected e.g. postgres://user:pass@host:5432/name")
    try:
        config = environ.Env.db_url_config(raw)
    except Exception as exc:
        fail(f"{name} is malformed ({exc}): expected e.g. postgres://user:pass@host:5432/name")
    if not config.get("ENGINE"):
        fail(f"{name} is malformed: unknown database scheme in {raw.split(':', 1)[0]!r}")
    return config


def get_url(name: str, default: str, *, schemes: tuple[str, ...], required: bool = False, hint: str = "") -> str:
    raw = os.environ.get(name) or ""
    if not raw:
        if required:
            fail(f"{name} is required{(': ' + hint) if hint else ''}")
        return default
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in schemes:
        fail(f"{name} is malformed: expected a URL starting with {' or '.join(s + '://' for s in schemes)}")
    return raw


def get_rate(name: str, default: str) -> str:
    """A rate like ``120/min``: a whole number, a slash, and s/sec/m/min/h/hour/d/day."""
    import re

    raw = os.environ.get(name) or default
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", raw.strip()):
        fail(f"{name} is malformed: expected e.g. 120/min (a number per s, min, hour or day), got {raw!r}")
    return raw.strip()


def parse_ed25519_private_key(text: str):
    """An Ed25519 private key from PEM (PKCS#8; ``\\n`` escapes allowed, so it
    fits one environment line) or from the base64 of its 32-byte seed.
    Raises ``ValueError`` for anything else."""
    import base64
    import binascii

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    text = text.strip().replace("\\n", "\n")
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return key
    try:
        seed = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if ("-" in text or "_" in text) else None, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("neither a PEM key nor base64") from exc
    if len(seed) != 32:
        raise ValueError(f"a base64 seed must decode to 32 bytes, not {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


SIGNING_KEY_HINT = (
    "the closing packages' Ed25519 signing key, a PEM private key (newlines may be written \\n) or the base64 of a 32-byte seed, e.g. from "
    "`python -c 'import os,base64; print(base64.b64encode(os.urandom(32)).decode())'`"
)


def get_signing_key(name: str, *, required: bool = False) -> str:
    """The signing key's text, checked (a malformed key stops start-up naming ``name``)."""
    raw = get_str(name, "", required=required, hint=SIGNING_KEY_HINT)
    if raw:
        try:
            parse_ed25519_private_key(raw)
        except Exception as exc:
            fail(f"{name} is malformed ({exc}): {SIGNING_KEY_HINT}")
    return raw
