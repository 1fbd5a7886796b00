"""Production: PostgreSQL, Redis, Celery workers, real mail, HTTPS only.

Every value an operator must choose is required; start-up stops with one line
naming a variable that is missing or malformed.
"""

import os

from .base import *  # noqa: F403
from .base import CLAMAV_URL, PORTAL_ALLOW_UNSCANNED_DOCUMENTS, PORTAL_DEMO_MODE
from .env import fail, get_bool, get_db, get_int, get_list, get_signing_key, get_str, get_url

if PORTAL_DEMO_MODE:
    fail("PORTAL_DEMO_MODE must not be set with production settings (the demo logins would work)")

DEBUG = False
SECRET_KEY = get_str("SECRET_KEY", required=True, hint="a long random string, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(50))'`")
if len(SECRET_KEY) < 50:
    fail("SECRET_KEY is malformed: it must be at least 50 characters long")
PORTAL_ENCRYPTION_KEY = get_str(
    "PORTAL_ENCRYPTION_KEY", required=True, hint="a Fernet key, e.g. from `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
)
try:
    from cryptography.fernet import Fernet

    Fernet(PORTAL_ENCRYPTION_KEY.encode())
except Exception:
    fail("PORTAL_ENCRYPTION_KEY is malformed: it must be a url-safe base64 Fernet key of 32 bytes")

# Reviewers' model-access credentials (modelaccess/): their own key list, never SECRET_KEY.
PORTAL_CREDENTIAL_KEYS = get_list(
    "PORTAL_CREDENTIAL_KEYS",
    [],
    required=True,
    hint="one or more Fernet keys, comma-separated, the newest first, e.g. from `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`",
)
for _position, _key in enumerate(PORTAL_CREDENTIAL_KEYS, start=1):
    try:
        Fernet(_key.encode())
    except Exception:
        fail(f"PORTAL_CREDENTIAL_KEYS is malformed: key {_position} is not a url-safe base64 Fernet key of 32 bytes")
if PORTAL_ENCRYPTION_KEY in PORTAL_CREDENTIAL_KEYS:
    fail("PORTAL_CREDENTIAL_KEYS must not reuse PORTAL_ENCRYPTION_KEY: credentials have their own key")
# Closing packages are signed with it; a package anyone verifies later needs a key that was never optional.
PORTAL_SIGNING_KEY = get_signing_key("PORTAL_SIGNING_KEY", required=True)

ALLOWED_HOSTS = get_list("ALLOWED_HOSTS", [], required=True, hint="the host names the portal is served under, comma-separated")
DATABASES = {"default": get_db("DATABASE_URL", "", required=True, hint="postgres://user:pass@host:5432/portal")}
DATABASES["default"]["CONN_MAX_AGE"] = get_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Under gunicorn's --timeout (120 s in the Dockerfile and docker-compose.yml): a page stopped by the
# database answers "took too long" (503) before the worker is killed and nginx answers 502.
PORTAL_WEB_STATEMENT_TIMEOUT = get_int("PORTAL_WEB_STATEMENT_TIMEOUT", 30, minimum=0)

REDIS_URL = get_url("REDIS_URL", "", schemes=("redis", "rediss"), required=True, hint="redis://host:6379/0")
CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}}
CELERY_BROKER_URL = get_url("CELERY_BROKER_URL", REDIS_URL, schemes=("redis", "rediss", "amqp", "amqps"))
# Tasks acknowledge late, so a message whose worker dies is redelivered after
# this timeout; no task is ever scheduled further ahead than this.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

STORAGES = {
    **STORAGES,  # noqa: F405  (default: local disk, or S3 when S3_BUCKET is set)
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

_email_url = get_str("EMAIL_URL", "", hint="smtp+tls://user:pass@host:587")
if _email_url:
    from .env import env as _env

    try:
        vars().update(_env.email_url_config(_email_url))
    except Exception as exc:
        fail(f"EMAIL_URL is malformed ({exc})")
else:
    EMAIL_BACKEND = get_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# How many proxies append to X-Forwarded-For in front of the portal: rate limits
# and the audit trail take the client's address from it (portal.http). No safe
# default exists (0 behind a proxy rate-limits everyone as one address; too many
# lets clients forge theirs), so the operator states it.
if not os.environ.get("PORTAL_TRUSTED_PROXY_COUNT"):
    fail("PORTAL_TRUSTED_PROXY_COUNT is required: the number of proxies in front of the portal that append to X-Forwarded-For (0 when clients connect directly)")

# Links in e-mails: the address people reach the portal at, e.g. https://portal.example.gov
PORTAL_BASE_URL = get_url(
    "PORTAL_BASE_URL", "", schemes=("https", "http"), required=True, hint="the portal's public address, e.g. https://portal.example.gov"
).rstrip("/")
if get_bool("PORTAL_EMAIL_EAGER", False):
    fail("PORTAL_EMAIL_EAGER must not be set with production settings (mail would be sent inside web requests)")
if get_bool("PORTAL_SSO_ALLOW_HTTP_LOOPBACK", False):
    fail("PORTAL_SSO_ALLOW_HTTP_LOOPBACK must not be set with production settings (identity providers use https)")
PORTAL_SSO_ALLOW_HTTP_LOOPBACK = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = get_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = get_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# Scanning fails closed: no scanner, no start, unless the opt-out is explicit.
if not CLAMAV_URL and not PORTAL_ALLOW_UNSCANNED_DOCUMENTS:
    fail(
        "CLAMAV_URL is required: the clamd address, e.g. tcp://clamav:3310 or unix:///run/clamav/clamd.ctl "
        "(to run without virus scanning, set PORTAL_ALLOW_UNSCANNED_DOCUMENTS=true)"
    )
