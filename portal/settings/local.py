"""The embedded default: one laptop, nothing but Python.

SQLite, files under var/, a file-based cache shared by the web process and the
Celery worker, and kombu's filesystem transport as a broker that needs no
server. Setting DATABASE_URL, REDIS_URL or CELERY_BROKER_URL switches each
piece to its real service.
"""

import secrets
from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, PORTAL_DEMO_MODE
from .env import fail, get_bool, get_db, get_list, get_str, get_url

# The browser journeys (journeys/) are a test-only app: on a developer's
# machine with the test requirements installed they also give
# `manage.py screenshots`; the base settings never load them.
import importlib.util  # noqa: E402

if importlib.util.find_spec("playwright") is not None:
    from .base import INSTALLED_APPS

    INSTALLED_APPS = [*INSTALLED_APPS, "journeys"]

# Everything the embedded default keeps (keys, database, cache, broker, files).
# Another folder for another instance: the tests that run one in a subprocess
# give theirs, so nothing of theirs reaches the developer's var/.
VAR_DIR = Path(get_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = get_str("MEDIA_ROOT", str(VAR_DIR / "media"))

# Demo mode (scripts/run) is shown to people: it answers with the portal's own
# 404 and 500 pages, never Django's debug page with stack frames and data.
DEBUG = get_bool("DEBUG", not PORTAL_DEMO_MODE)
if DEBUG and PORTAL_DEMO_MODE:
    fail("DEBUG must not be set with PORTAL_DEMO_MODE (the debug page would show stack frames and data to the demo's visitors)")


def _local_secret() -> str:
    # Generated once per checkout and kept out of the repository.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = get_str("SECRET_KEY") or _local_secret()


def _local_signing_key() -> str:
    # The closing packages' Ed25519 key, generated once per checkout like the secret key.
    path = VAR_DIR / "signing_key.pem"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    return path.read_text()


PORTAL_SIGNING_KEY = get_str("PORTAL_SIGNING_KEY") or _local_signing_key()
PORTAL_ENCRYPTION_KEY = get_str("PORTAL_ENCRYPTION_KEY")


def _local_credential_key() -> str:
    # The embedded default's key for model-access credentials: generated once per
    # checkout, kept out of the repository, never derived from SECRET_KEY.
    from cryptography.fernet import Fernet

    path = VAR_DIR / "credential_key"
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


PORTAL_CREDENTIAL_KEYS = get_list("PORTAL_CREDENTIAL_KEYS", []) or [_local_credential_key()]

DATABASES = {"default": get_db("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if "sqlite" in DATABASES["default"]["ENGINE"]:
    from .base import SILENCED_SYSTEM_CHECKS

    # The web server and the Celery worker write the same file. A transaction
    # that starts reading and then writes cannot wait for the other's lock
    # (SQLite answers "database is locked" at once, which the portal shows as
    # 503): each transaction takes the write lock when it begins and waits up
    # to 20 s for it; WAL lets pages be read while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })

    # Covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds them
    # without the extra columns, which changes nothing the demo relies on.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "models.W040"]

REDIS_URL = get_url("REDIS_URL", "", schemes=("redis", "rediss"))
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared between processes (web and worker), unlike locmem,
    # so login rate limits and used TOTP codes hold across them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_BROKER_URL = get_url(
    "CELERY_BROKER_URL", "filesystem://", schemes=("filesystem", "redis", "rediss", "amqp", "memory")
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }

EMAIL_BACKEND = get_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# Static files are served from the app folders in development and tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
(BASE_DIR / "staticfiles").mkdir(exist_ok=True)

# Local identity providers on loopback and passkeys on http://localhost.
PORTAL_SSO_ALLOW_HTTP_LOOPBACK = get_bool("PORTAL_SSO_ALLOW_HTTP_LOOPBACK", True)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = get_bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", True)
