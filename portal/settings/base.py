"""Settings shared by every environment.

Each environment module (local, test, production) imports this and then sets
what differs: the database, the cache, the broker and the security switches.
"""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab

from .env import BASE_DIR, fail, get_bool, get_int, get_list, get_rate, get_signing_key, get_str, get_url

# --- Portal behaviour -------------------------------------------------------

# Demo mode: the demo logins work and MFA is not required. Production refuses it.
PORTAL_DEMO_MODE = get_bool("PORTAL_DEMO_MODE", False)
PORTAL_REQUIRE_MFA = get_bool("PORTAL_REQUIRE_MFA", not PORTAL_DEMO_MODE)
PORTAL_NAME = get_str("PORTAL_NAME", "Frontier Review Portal")
PORTAL_SYSTEM_USE_NOTICE = get_str(
    "PORTAL_SYSTEM_USE_NOTICE",
    "You are accessing a U.S. Government information system, which includes this "
    "computer, this network, and all attached devices and storage media. Use of this "
    "system is restricted to authorized users for the voluntary frontier-model review "
    "program. Usage may be monitored, recorded, and subject to audit. Unauthorized use "
    "is prohibited and may be subject to criminal and civil penalties. By using this "
    "system you consent to such monitoring and recording. Do not enter classified "
    "information.",
)
# Sessions: logged out after this many idle minutes, and after this many hours in all.
PORTAL_SESSION_IDLE_MINUTES = get_int("PORTAL_SESSION_IDLE_MINUTES", 15, minimum=1)
PORTAL_SESSION_ABSOLUTE_HOURS = get_int("PORTAL_SESSION_ABSOLUTE_HOURS", 12, minimum=1)
PORTAL_INVITATION_DAYS = get_int("PORTAL_INVITATION_DAYS", 7, minimum=1)
# Review window length and how long agency access survives a closed review.
PORTAL_REVIEW_WINDOW_DAYS = get_int("PORTAL_REVIEW_WINDOW_DAYS", 30, minimum=1)
PORTAL_ACCESS_DAYS_AFTER_CLOSE = get_int("PORTAL_ACCESS_DAYS_AFTER_CLOSE", 30, minimum=0)
# Default days an information request (RFI) gives the company to answer.
PORTAL_RFI_DUE_DAYS = get_int("PORTAL_RFI_DUE_DAYS", 5, minimum=1)
PORTAL_ASSIGNMENT_ANSWER_DAYS = get_int("PORTAL_ASSIGNMENT_ANSWER_DAYS", 2, minimum=1)
# A reminder more than this many days late (workers were down) is moot, not sent.
PORTAL_REMINDER_CATCH_UP_DAYS = get_int("PORTAL_REMINDER_CATCH_UP_DAYS", 3, minimum=0)
PORTAL_DEFAULT_ACCESS_TERMS = get_str(
    "PORTAL_DEFAULT_ACCESS_TERMS",
    "The material in this review is proprietary pre-release information of the "
    "submitting company, shared voluntarily for a government cybersecurity evaluation. "
    "You will use it only for this review, not copy it outside the portal except as the "
    "handling marking allows, not disclose it to anyone who is not a participant in this "
    "review, and return or destroy any copies when the review closes.",
)

# Proxies in front of the portal that append to X-Forwarded-For (nginx, a load
# balancer): the client is the N-th address from the right (portal.http). 0: no
# proxy, the header is ignored. Production requires it to be set explicitly.
PORTAL_TRUSTED_PROXY_COUNT = get_int("PORTAL_TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- Django core ---------------------------------------------------------------

DEBUG = False
ALLOWED_HOSTS: list[str] = get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = get_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal.admin.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.usersessions",
    "guardian",
    "django_celery_beat",
    "django_htmx",
    "simple_history",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # portal
    "accounts",
    "sso",
    "agencies",
    "companies",
    "reviews",
    "notifications",
    "audit",
    "reminders",
    "documents",
    "rfis",
    "findings",
    "readiness",
    "modelaccess",
    "exports",
    "search",
    "dashboard",
    "demo",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "audit.context.AuditContextMiddleware",
    # Redis or PostgreSQL down: 503 "try again shortly" (fail-closed), never a 500.
    "portal.middleware.OutageMiddleware",
    # A web request's statement past PORTAL_WEB_STATEMENT_TIMEOUT: stopped, 503 "took too long".
    "portal.middleware.StatementTimeoutMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    # A redirect answering htmx (the sign-in page, the terms page): the whole window goes there.
    "portal.middleware.HtmxNavigationMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireMFAMiddleware",
    "portal.middleware.RefusalMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "notifications.context_processors.bell",
            ],
            # The lists' headings, page links and "Showing …" line (portal/list_tags.py).
            "libraries": {"list_ui": "portal.list_tags"},
            # {% field_row field %} in every form (portal/field_tags.py): no {% load %} needed.
            "builtins": ["portal.field_tags"],
        },
    }
]

# Django's renderer, with its simplest widget templates (inputs, text areas,
# options) drawn in Python to the same markup (portal/forms_renderer.py).
FORM_RENDERER = "portal.forms_renderer.FormRenderer"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.PortalAuthenticationBackend"]
# guardian's ObjectPermissionBackend is left out on purpose: its has_perm would
# honour a grant past its expires_at. Object access is read only through each
# model's visible_to(), which checks expiry on every request.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = get_str("PORTAL_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = get_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = get_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Documents live in MEDIA_ROOT (never served by a URL of its own; every read
# goes through the download view) or, when S3_BUCKET is set, in S3-compatible
# object storage (`pip install django-storages[s3]`).
S3_BUCKET = get_str("S3_BUCKET") or get_str("AWS_STORAGE_BUCKET_NAME")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": get_str("S3_ENDPOINT_URL") or None,
            "region_name": get_str("S3_REGION") or None,
            "default_acl": "private",
            "querystring_auth": True,
            # Presigned URLs (X-Accel-Redirect through nginx) live five minutes.
            "querystring_expire": 300,
            # "path" for MinIO and other servers without per-bucket host names.
            "addressing_style": get_str("S3_ADDRESSING_STYLE") or None,
            "file_overwrite": False,
        },
    }

# --- Documents --------------------------------------------------------------

# Uploads stream to a temporary file past this size (a small in-memory buffer).
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# Non-file form fields only; files are limited by PORTAL_UPLOAD_MAX_BYTES.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = ["documents.uploads.HashingUploadHandler"]
FILE_UPLOAD_PERMISSIONS = 0o600
PORTAL_UPLOAD_MAX_BYTES = get_int("PORTAL_UPLOAD_MAX_BYTES", 2 * 1024**3, minimum=1)
# Content types detected from the bytes (python-magic); the name and the browser's claim are ignored.
PORTAL_UPLOAD_ALLOWED_TYPES = get_list(
    "PORTAL_UPLOAD_ALLOWED_TYPES",
    [
        "application/pdf",
        "text/plain",
        "text/markdown",
        "text/csv",
        "application/csv",
        "application/json",
        "application/zip",
        "application/gzip",
        "application/x-tar",
        "image/png",
        "image/jpeg",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ],
)
# clamd address (tcp://host:3310 or unix:///run/clamav/clamd.ctl); empty: files are not scanned.
CLAMAV_URL = get_url("CLAMAV_URL", "", schemes=("tcp", "unix"))
# The explicit opt-out of virus scanning: with it, versions stored without a
# scan ("not scanned") reach every reader, under a visible warning; without it
# they reach only the company that uploaded them. Demo mode counts as the
# opt-out; production refuses to start without CLAMAV_URL unless it is set.
PORTAL_ALLOW_UNSCANNED_DOCUMENTS = get_bool("PORTAL_ALLOW_UNSCANNED_DOCUMENTS", PORTAL_DEMO_MODE)
# Pages about one review keep their statements prepared on the connection (portal.db.prepared_page);
# off behind a pooler in transaction mode that cannot keep prepared statements (PgBouncer < 1.21).
PORTAL_PREPARED_STATEMENTS = get_bool("PORTAL_PREPARED_STATEMENTS", True)
# The review page's statement is compiled once per reader and process (portal.statements); off: every time.
PORTAL_STATEMENT_CACHE = get_bool("PORTAL_STATEMENT_CACHE", True)
# How many compiled statements each process keeps (least recently used dropped; ~7 KB each on average).
PORTAL_STATEMENT_CACHE_ENTRIES = get_int("PORTAL_STATEMENT_CACHE_ENTRIES", 4096, minimum=1)
# A search's four kinds are read side by side on up to this many pooled threads, each with its own
# persistent connection (portal.parallel; only with CONN_MAX_AGE > 0, never inside a transaction); 0: in turn.
PORTAL_PARALLEL_READS = get_int("PORTAL_PARALLEL_READS", 3, minimum=0)
# A dashboard's inbox statements are sent ahead on each request thread's second persistent
# connection and read back when the page needs them (portal.ahead; only with CONN_MAX_AGE > 0,
# never inside a transaction or behind Django's own pool); off: read in turn.
PORTAL_READ_AHEAD = get_bool("PORTAL_READ_AHEAD", True)
# Seconds a web request's database statement may run before PostgreSQL stops it (a 503 "took too
# long" page: portal.middleware.StatementTimeoutMiddleware); 0: no bound. Web processes only.
PORTAL_WEB_STATEMENT_TIMEOUT = get_int("PORTAL_WEB_STATEMENT_TIMEOUT", 0, minimum=0)
CLAMAV_TIMEOUT_SECONDS = get_int("CLAMAV_TIMEOUT_SECONDS", 120, minimum=1)
# clamd's StreamMaxLength; a larger file stays pending rather than going unscanned.
CLAMAV_MAX_BYTES = get_int("CLAMAV_MAX_BYTES", 100 * 1024**2, minimum=1)
# When set (e.g. "/protected/"), downloads answer with X-Accel-Redirect to
# this prefix + the stored name and nginx sends the bytes (an internal location).
PORTAL_X_ACCEL_REDIRECT_PREFIX = get_str("PORTAL_X_ACCEL_REDIRECT_PREFIX")
# Watermarked PDFs are rewritten in the web process (pypdf); larger ones are refused, never served unmarked.
PORTAL_WATERMARK_MAX_BYTES = get_int("PORTAL_WATERMARK_MAX_BYTES", 200 * 1024**2, minimum=1)
# Full-text search: the text of a scanned PDF or text file is extracted (documents.extraction)
# up to these limits; a longer document is indexed up to them and marked "truncated". Files
# larger than PORTAL_SEARCH_EXTRACT_MAX_BYTES are not read at all.
PORTAL_SEARCH_TEXT_MAX_PAGES = get_int("PORTAL_SEARCH_TEXT_MAX_PAGES", 200, minimum=1)
PORTAL_SEARCH_TEXT_MAX_CHARS = get_int("PORTAL_SEARCH_TEXT_MAX_CHARS", 2_000_000, minimum=1)
PORTAL_SEARCH_EXTRACT_MAX_BYTES = get_int("PORTAL_SEARCH_EXTRACT_MAX_BYTES", 100 * 1024**2, minimum=1)

# Closing packages (exports): signed with the portal's Ed25519 key; production
# refuses to start without it, local settings keep one per checkout in var/,
# the test settings fix one. Packages over the size limit are refused with their size.
PORTAL_SIGNING_KEY = get_signing_key("PORTAL_SIGNING_KEY")
PORTAL_PACKAGE_MAX_BYTES = get_int("PORTAL_PACKAGE_MAX_BYTES", 5 * 1024**3, minimum=1)
# The package task's soft time limit (a 5 GiB package takes about a minute on 2 cores; keep below the broker's visibility timeout).
PORTAL_PACKAGE_TASK_SOFT_LIMIT = get_int("PORTAL_PACKAGE_TASK_SOFT_LIMIT", 1800, minimum=1)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# Sessions live in the database so that a user can see and end them
# (allauth.usersessions) and deactivation can end them all at once.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# The idle limit is enforced by accounts.middleware.SessionTimeoutMiddleware,
# which refreshes its "last seen" stamp at most once a minute; the stored
# session itself lives no longer than the absolute limit.
SESSION_COOKIE_AGE = PORTAL_SESSION_ABSOLUTE_HOURS * 3600
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Django's refusal page, with a header saying what it is to the htmx parts of a page.
CSRF_FAILURE_VIEW = "portal.urls.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# One policy for every page; templates carry no inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

# --- allauth ----------------------------------------------------------------

ACCOUNT_ADAPTER = "accounts.adapters.PortalAccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.PortalLoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Frontier Review] "
# Sensitive account changes (MFA) are re-confirmed by password or MFA, never by
# an e-mailed code alone.
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
# allauth's own X-Forwarded-For reading agrees with portal.http (the adapter's
# get_client_ip calls it, so this is belt and braces).
ALLAUTH_TRUSTED_PROXY_COUNT = PORTAL_TRUSTED_PROXY_COUNT
# The sixth failed login for one account within five minutes is refused.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}

# Step-up for sensitive acts (accounts.stepup): a fresh authentication no older than this.
PORTAL_STEP_UP_MINUTES = get_int("PORTAL_STEP_UP_MINUTES", 10, minimum=1)
if PORTAL_STEP_UP_MINUTES > 15:
    fail("PORTAL_STEP_UP_MINUTES is malformed: at most 15 minutes (a step-up older than that is no step-up)")
ACCOUNT_REAUTHENTICATION_TIMEOUT = PORTAL_STEP_UP_MINUTES * 60

# Model access (modelaccess/): reviewers' credentials are encrypted at rest with
# these Fernet keys (comma-separated; the first encrypts, every one decrypts, so
# a new key goes first and `manage.py rotate_secrets_key` re-encrypts under it).
# Never derived from SECRET_KEY: production refuses to start without them, and
# the local settings keep a generated one under var/.
PORTAL_CREDENTIAL_KEYS = get_list("PORTAL_CREDENTIAL_KEYS", [])
# A credential stays revealable this many hours after the review window's end
# (while the review is still in review and the reviewer's grant holds).
PORTAL_CREDENTIAL_GRACE_HOURS = get_int("PORTAL_CREDENTIAL_GRACE_HOURS", 24, minimum=0)
# The largest file credential (a client certificate, a key file) and secret text.
PORTAL_CREDENTIAL_FILE_MAX_BYTES = get_int("PORTAL_CREDENTIAL_FILE_MAX_BYTES", 64 * 1024, minimum=1)
PORTAL_CREDENTIAL_SECRET_MAX_CHARS = get_int("PORTAL_CREDENTIAL_SECRET_MAX_CHARS", 4096, minimum=1)

MFA_ADAPTER = "accounts.adapters.PortalMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# Passkeys: sign in with a passkey alone (it is possession + user verification).
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_PASSKEY_SIGNUP_ENABLED = False
MFA_WEBAUTHN_USER_VERIFICATION = "preferred"
# http://localhost is a secure context for browsers; elsewhere only https works.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = get_bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", PORTAL_DEMO_MODE)
MFA_TOTP_ISSUER = PORTAL_NAME
# --- Single sign-on (sso/) ----------------------------------------------------
# Identity providers are data (sso.models.IdentityProvider), never SocialApp rows
# or settings; accounts are never made by sign-up (sso.adapter).
SOCIALACCOUNT_ADAPTER = "sso.adapter.PortalSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_REQUESTS_TIMEOUT = get_int("PORTAL_SSO_TIMEOUT_SECONDS", 10, minimum=1)
# http:// issuers on 127.0.0.1/localhost only (tests, a local IdP); never in production.
PORTAL_SSO_ALLOW_HTTP_LOOPBACK = get_bool("PORTAL_SSO_ALLOW_HTTP_LOOPBACK", False)

# Sessions are recorded at login (IP, browser); tracking every request would
# cost three writes per page.
USERSESSIONS_TRACK_ACTIVITY = False

# --- REST API (api/) ---------------------------------------------------------

# Requests per token (browser sessions: per user) and period: N/second|minute|hour|day.
PORTAL_API_THROTTLE_RATE = get_rate("PORTAL_API_THROTTLE_RATE", "120/min")
# Requests per user across all their tokens and sessions (a user may hold up to ten tokens).
PORTAL_API_USER_THROTTLE_RATE = get_rate("PORTAL_API_USER_THROTTLE_RATE", "240/min")
REST_FRAMEWORK = {
    # Token first: its "Bearer" challenge makes a missing credential a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.MFASessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsPortalMember"],
    # Per token, and per user across all their tokens and sessions (api.throttling).
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle", "api.throttling.UserRateThrottle"],
    "NUM_PROXIES": PORTAL_TRUSTED_PROXY_COUNT,
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PortalPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Frontier Review Portal API",
    "DESCRIPTION": (
        "Reviews, models, documents, information requests, findings and notifications, each within the caller's "
        "scope (out of scope: 404). Authenticate with a personal token (`Authorization: Bearer frp_…`) created on "
        "your profile page, or with an MFA-verified browser session."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files: the Content-Security-Policy allows scripts from 'self' only.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts each operation's link inside its expand button,
    # nested interactive controls that screen readers cannot operate (WCAG 4.1.2).
    # Page and styles: templates/drf_spectacular/swagger_ui.html, static/css/swagger.css.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "SERVE_PERMISSIONS": ["api.permissions.IsPortalMember"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ReviewStatusEnum": "reviews.models.ReviewStatus",
        "RfiStatusEnum": "rfis.models.RfiStatus",
        "DocumentKindEnum": "documents.models.DocumentKind",
        "RfiMessageKindEnum": "rfis.models.RfiMessage.Kind",
        "EndpointKindEnum": "modelaccess.models.EndpointKind",
        "CredentialKindEnum": "modelaccess.models.CredentialKind",
        "FindingStatusEnum": "findings.models.FindingStatus",
        "RetestResultEnum": "findings.models.RetestResult",
        "FindingResponseEnum": "findings.models.Response",
    },
}

# --- guardian ---------------------------------------------------------------

ANONYMOUS_USER_NAME = None  # no anonymous object permissions
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
GUARDIAN_AUTO_PREFETCH = False

# --- Celery -----------------------------------------------------------------

CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Nothing waits forever: every task is interrupted (SoftTimeLimitExceeded) after
# the soft limit and its process killed after the hard one. Tasks that talk to
# a server set tighter limits of their own (notifications.tasks.deliver_email).
CELERY_TASK_SOFT_TIME_LIMIT = get_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = get_int("CELERY_TASK_TIME_LIMIT", CELERY_TASK_SOFT_TIME_LIMIT + 60, minimum=CELERY_TASK_SOFT_TIME_LIMIT + 1)

# --- Mail -------------------------------------------------------------------

DEFAULT_FROM_EMAIL = get_str("DEFAULT_FROM_EMAIL", "Frontier Review Portal <no-reply@portal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Every e-mail goes through one outbox (notifications.mail): recorded in the
# transaction of the action that causes it, sent after commit by a Celery task,
# outside any database transaction, retried with backoff while the mail server
# fails transiently, and offered again by a sweep until it is sent or expires.
# Seconds one SMTP socket operation may take (connect, greeting, each reply).
EMAIL_TIMEOUT = get_int("EMAIL_TIMEOUT", 20, minimum=1)
# The address links in e-mails start with (scheme, host and any path prefix).
PORTAL_BASE_URL = get_url("PORTAL_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https")).rstrip("/")
# Retry schedule after a transient failure (4xx, refused, timeout): base, 2×base,
# 4×base … capped (seconds); kept below the broker's visibility timeout.
PORTAL_EMAIL_RETRY_BASE_SECONDS = get_int("PORTAL_EMAIL_RETRY_BASE_SECONDS", 30, minimum=1)
PORTAL_EMAIL_RETRY_MAX_SECONDS = get_int("PORTAL_EMAIL_RETRY_MAX_SECONDS", 600, minimum=1)
# An e-mail still undelivered this long after it was written is recorded as
# missed (reminders expire sooner: when their occasion has passed).
PORTAL_EMAIL_GIVE_UP_HOURS = get_int("PORTAL_EMAIL_GIVE_UP_HOURS", 72, minimum=1)
# The sweep re-offers an e-mail whose task was lost once it is this late.
PORTAL_EMAIL_SWEEP_GRACE_SECONDS = get_int("PORTAL_EMAIL_SWEEP_GRACE_SECONDS", 120, minimum=0)
# The delivery task's limits: a conversation may take a few socket timeouts;
# past the soft limit it is abandoned and retried, past the hard one the
# worker process is replaced. A claimed e-mail is not offered again before
# the hard limit has passed, so two workers never talk to the server about it.
PORTAL_EMAIL_TASK_SOFT_LIMIT = get_int("PORTAL_EMAIL_TASK_SOFT_LIMIT", 3 * EMAIL_TIMEOUT + 5, minimum=1)
PORTAL_EMAIL_TASK_HARD_LIMIT = get_int(
    "PORTAL_EMAIL_TASK_HARD_LIMIT", PORTAL_EMAIL_TASK_SOFT_LIMIT + 15, minimum=PORTAL_EMAIL_TASK_SOFT_LIMIT + 1
)
# A claimed e-mail stays with its worker this long past the hard limit (clock
# differences between machines, the time it takes to kill a stuck process).
PORTAL_EMAIL_CLAIM_MARGIN_SECONDS = get_int("PORTAL_EMAIL_CLAIM_MARGIN_SECONDS", 30, minimum=0)
# Deliver in the committing process instead of queueing (the test suite's
# in-process tests only; production refuses it).
PORTAL_EMAIL_EAGER = get_bool("PORTAL_EMAIL_EAGER", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": get_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

SESSION_ABSOLUTE_AGE = timedelta(hours=PORTAL_SESSION_ABSOLUTE_HOURS)
SESSION_IDLE_AGE = timedelta(minutes=PORTAL_SESSION_IDLE_MINUTES)

# How often beat sweeps for due reminders (bench faults runs it every 10 s).
PORTAL_REMINDER_SWEEP_SECONDS = get_int("PORTAL_REMINDER_SWEEP_SECONDS", 900, minimum=1)

# Periodic tasks; django-celery-beat's DatabaseScheduler copies these into the
# database on start, where program admins can change their schedule.
CELERY_BEAT_SCHEDULE = {
    "remove-expired-grants": {"task": "reviews.tasks.remove_expired_grants", "schedule": 3600.0},
    "compact-reach-counts": {"task": "reviews.tasks.compact_reach_counts", "schedule": 600.0},
    "sweep-reminders": {"task": "reminders.tasks.sweep_reminders", "schedule": float(PORTAL_REMINDER_SWEEP_SECONDS)},
    "requeue-pending-scans": {"task": "documents.tasks.requeue_pending_scans", "schedule": 900.0},
    "requeue-missing-texts": {"task": "documents.tasks.requeue_missing_texts", "schedule": 900.0},
    "remove-storage-orphans": {"task": "documents.tasks.remove_storage_orphans", "schedule": 3600.0},
    "notification-daily-digest": {"task": "notifications.tasks.send_daily_digests", "schedule": crontab(hour=11, minute=0)},
    "sweep-emails": {"task": "notifications.tasks.sweep_emails", "schedule": 60.0},
    "end-lapsed-credentials": {"task": "modelaccess.tasks.end_lapsed_credentials", "schedule": 900.0},
    "reopen-expired-risk-acceptances": {"task": "findings.tasks.reopen_expired_risk_acceptances", "schedule": 3600.0},
    # dashboard.charts.OFFICE_FIGURES_TTL: each recount kept twice that, replaced before it lapses.
    "refresh-office-figures": {"task": "dashboard.tasks.refresh_office_figures", "schedule": 300.0},
    # search.services.SETTLE: a search becomes an audit event 10–70 s after the reader stops typing.
    "fold-search-records": {"task": "search.tasks.fold_search_records", "schedule": 60.0},
    # search.services.CHECK_EVERY: an alerting saved search is run again every 15–20 minutes.
    "check-saved-searches": {"task": "search.tasks.check_saved_searches", "schedule": 300.0},
}
