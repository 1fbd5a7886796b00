"""Tests run on PostgreSQL and Redis, never SQLite: the production engines."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR
from .env import get_bool, get_db, get_int, get_str, get_url

DEBUG = False
SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
PORTAL_ENCRYPTION_KEY = ""
# A fixed test key for model-access credentials (never used outside tests).
PORTAL_CREDENTIAL_KEYS = ["dGVzdC1vbmx5LWNyZWRlbnRpYWwta2V5LTMyYnl0ZXM="]
# A fixed, published test-only Ed25519 key for closing packages (never used outside the suite).
PORTAL_SIGNING_KEY = get_str(
    "PORTAL_SIGNING_KEY",
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHrGdSMbGiuumhvR90ChzRd5PBAF2O6tRCWoAvlz+FAU\n-----END PRIVATE KEY-----\n",
)

DATABASES = {
    "default": get_db("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"),
}
if "postgresql" not in DATABASES["default"]["ENGINE"]:
    from .env import fail

    fail("DATABASE_URL must point at PostgreSQL for the test suite")
# A test database need not survive a crash: commits (each migration, each test
# that commits for real) do not wait for the WAL to reach the disk. Per
# connection, so the server's other databases keep their durability.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"

REDIS_URL = get_url("REDIS_URL", "redis://127.0.0.1:6379/0", schemes=("redis", "rediss"))
# pytest-xdist runs the suite in worker processes gw0, gw1, …; each gets its own
# Redis database and Celery queue (pytest-django gives each its own PostgreSQL
# database), and a Celery worker a test starts inherits the variable, so it too.
XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
# Database 15 (14, 13 … for further xdist workers) of the local Redis keeps test
# keys apart from a developer's data.
TEST_REDIS_URL = get_str("TEST_REDIS_URL", REDIS_URL.rsplit("/", 1)[0] + f"/{15 - XDIST_WORKER}")
CACHES = {
    "default": {
        "BACKEND": "portal.cache.RedisCache",
        "LOCATION": TEST_REDIS_URL,
        "KEY_PREFIX": "portal-test",
    }
}
CELERY_BROKER_URL = TEST_REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False

# N+1 detection in tests (portal/tests/test_n_plus_one.py); not in production.
# Test-only apps: N+1 detection, and the browser journeys (journeys/), which
# also give `manage.py screenshots`; the base settings never load them.
INSTALLED_APPS = [*INSTALLED_APPS, "zeal", "journeys"]  # noqa: F405
ZEAL_RAISE = True

PORTAL_DEMO_MODE = False
PORTAL_REQUIRE_MFA = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests run in process with the locmem backend; a Celery worker started by a
# test writes its mail to files instead (EMAIL_BACKEND / EMAIL_FILE_PATH).
EMAIL_BACKEND = get_str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = get_str("EMAIL_FILE_PATH", "")
# Tests that deliver through a real SMTP server start one on 127.0.0.1 (aiosmtpd)
# and point the backend at it; a worker they start gets these from its environment.
EMAIL_HOST = get_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = get_int("EMAIL_PORT", 25, minimum=1)
EMAIL_TIMEOUT = get_int("EMAIL_TIMEOUT", 3, minimum=1)
# In-process tests deliver right after commit, in the committing process; the
# tests of delivery itself turn this off and run a real worker.
PORTAL_EMAIL_EAGER = get_bool("PORTAL_EMAIL_EAGER", True)
PORTAL_BASE_URL = get_str("PORTAL_BASE_URL", "http://testserver").rstrip("/")
# A test worker listens on its own queue so stray messages cannot reach it.
CELERY_TASK_DEFAULT_QUEUE = get_str("CELERY_TASK_DEFAULT_QUEUE", f"portal-test-gw{XDIST_WORKER}" if XDIST_WORKER else "portal-test")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": get_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)}
# Tests start their own clamd where they need one (documents/tests/conftest.py).
CLAMAV_URL = ""
# Like demo mode, the suite runs without clamd and so with the opt-out; the
# tests of failing closed turn it off (documents/tests/test_scan_gate.py).
PORTAL_ALLOW_UNSCANNED_DOCUMENTS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Static files are served from the app folders in development and tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
(BASE_DIR / "staticfiles").mkdir(exist_ok=True)

# Local identity providers on loopback and passkeys on http://localhost.
PORTAL_SSO_ALLOW_HTTP_LOOPBACK = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
