import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "k3J9-test-only-5fQw2-not-used-anywhere-Zp8rT1vX6bN4mL0sD7hG",
    "PORTAL_ENCRYPTION_KEY": "0GuVSWBmo5DBCxGjBL6hWqmjBTNcY8FiOcEL5kSvmq8=",
    "PORTAL_CREDENTIAL_KEYS": "cHJvZC10ZXN0LWNyZWRlbnRpYWwta2V5LTMyLWJ5dGU=",
    "PORTAL_SIGNING_KEY": "dGVzdC1vbmx5LXByb2R1Y3Rpb24tc2lnbmluZy1rZXk=",
    "ALLOWED_HOSTS": "portal.example.gov",
    "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "CLAMAV_URL": "tcp://clamav.internal:3310",
    "PORTAL_TRUSTED_PROXY_COUNT": "1",
    "PORTAL_BASE_URL": "https://portal.example.gov",
}


def local_env(tmp_path, **env) -> dict:
    """The embedded default's environment (``portal.settings.local``) for an
    instance of the test's own: its SQLite file, keys, cache, broker folder
    and files under ``tmp_path``, never in the developer's ``var/`` (where a
    generated key or a queued task would be their instance's)."""
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
        **env,
    }


def _manage(*args, env):
    """``manage.py`` in a subprocess with ``env`` and none of this process's
    portal settings. An instance of the embedded default must have a folder of
    its own (``local_env``)."""
    if env.get("DJANGO_SETTINGS_MODULE", "portal.settings.local") == "portal.settings.local" and not env.get("PORTAL_VAR_DIR"):
        raise AssertionError("an embedded default in a test keeps its files in a PORTAL_VAR_DIR of its own: local_env(tmp_path)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DJANGO_", "DATABASE_", "REDIS_", "SECRET_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is required"),
        ({"DATABASE_URL": None}, "DATABASE_URL is required"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL is malformed"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL is malformed"),
        ({"PORTAL_ENCRYPTION_KEY": "short"}, "PORTAL_ENCRYPTION_KEY is malformed"),
        ({"PORTAL_CREDENTIAL_KEYS": None}, "PORTAL_CREDENTIAL_KEYS is required"),
        ({"PORTAL_CREDENTIAL_KEYS": "cHJvZC10ZXN0LWNyZWRlbnRpYWwta2V5LTMyLWJ5dGU=,short"}, "PORTAL_CREDENTIAL_KEYS is malformed: key 2"),
        ({"PORTAL_CREDENTIAL_KEYS": "0GuVSWBmo5DBCxGjBL6hWqmjBTNcY8FiOcEL5kSvmq8="}, "PORTAL_CREDENTIAL_KEYS must not reuse PORTAL_ENCRYPTION_KEY"),
        ({"PORTAL_SIGNING_KEY": None}, "PORTAL_SIGNING_KEY is required"),
        ({"PORTAL_SIGNING_KEY": "c2hvcnQ="}, "PORTAL_SIGNING_KEY is malformed"),
        ({"PORTAL_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----\\nnonsense\\n-----END PRIVATE KEY-----"}, "PORTAL_SIGNING_KEY is malformed"),
        ({"PORTAL_SESSION_IDLE_MINUTES": "soon"}, "PORTAL_SESSION_IDLE_MINUTES is malformed"),
        ({"PORTAL_STATEMENT_CACHE_ENTRIES": "0"}, "PORTAL_STATEMENT_CACHE_ENTRIES is malformed"),
        ({"PORTAL_DEMO_MODE": "true"}, "PORTAL_DEMO_MODE must not be set with production settings"),
        ({"PORTAL_TRUSTED_PROXY_COUNT": None}, "PORTAL_TRUSTED_PROXY_COUNT is required"),
        ({"PORTAL_TRUSTED_PROXY_COUNT": "-1"}, "PORTAL_TRUSTED_PROXY_COUNT is malformed"),
        ({"PORTAL_TRUSTED_PROXY_COUNT": "nginx"}, "PORTAL_TRUSTED_PROXY_COUNT is malformed"),
        ({"PORTAL_BASE_URL": None}, "PORTAL_BASE_URL is required"),
        ({"PORTAL_BASE_URL": "portal.example.gov"}, "PORTAL_BASE_URL is malformed"),
        ({"EMAIL_TIMEOUT": "forever"}, "EMAIL_TIMEOUT is malformed"),
        ({"PORTAL_EMAIL_EAGER": "true"}, "PORTAL_EMAIL_EAGER must not be set with production settings"),
        ({"PORTAL_STEP_UP_MINUTES": "30"}, "PORTAL_STEP_UP_MINUTES is malformed"),
        ({"PORTAL_API_USER_THROTTLE_RATE": "lots"}, "PORTAL_API_USER_THROTTLE_RATE is malformed"),
        ({"PORTAL_SSO_ALLOW_HTTP_LOOPBACK": "true"}, "PORTAL_SSO_ALLOW_HTTP_LOOPBACK must not be set with production settings"),
    ],
)
def test_bad_environment_stops_startup_with_one_line_naming_it(change, named):
    env = {k: v for k, v in {**PRODUCTION_ENV, **change}.items() if v is not None}
    result = _manage("check", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]


def test_mail_settings_have_production_defaults_and_follow_the_environment():
    show = "from django.conf import settings as s; print(s.EMAIL_TIMEOUT, s.PORTAL_BASE_URL, s.CELERY_TASK_SOFT_TIME_LIMIT, s.CELERY_TASK_TIME_LIMIT)"
    result = _manage("shell", "--no-imports", "-c", show, env=PRODUCTION_ENV)
    assert result.stdout.split() == ["20", "https://portal.example.gov", "300", "360"], result.stderr
    result = _manage("shell", "--no-imports", "-c", show, env={**PRODUCTION_ENV, "EMAIL_TIMEOUT": "7", "PORTAL_BASE_URL": "https://review.example.gov/portal/"})
    assert result.stdout.split()[:2] == ["7", "https://review.example.gov/portal"], result.stderr


def test_production_sends_security_headers(settings):
    # The policy is sent by middleware in every environment; production adds HSTS.
    assert "frame-ancestors 'none'" in settings.CONTENT_SECURITY_POLICY


def test_migrations_match_models():
    result = _manage("makemigrations", "--check", "--dry-run", env={"DJANGO_SETTINGS_MODULE": "portal.settings.test", **{k: os.environ[k] for k in ("DATABASE_URL", "REDIS_URL") if k in os.environ}})
    assert result.returncode == 0, result.stdout + result.stderr


def _snapshot():
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "admin"}:
            continue
        rows[model._meta.label] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
        )
    return rows


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing(settings):
    settings.PORTAL_DEMO_MODE = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    first = _snapshot()
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert _snapshot() == first


@pytest.mark.django_db
def test_seed_demo_builds_the_contract(demo):
    from accounts.models import Role
    from reviews.models import AssignmentStatus, Review, ReviewStatus

    assert {a.acronym for a in demo["nsa"].__class__.objects.all()} == {"NSA", "CISA", "DOD", "CAISI"}
    assert {c.name for c in demo["northwind"].__class__.objects.all()} == {"Northwind AI", "Contoso Labs"}
    assert demo["admin"].membership.role == Role.PROGRAM_ADMIN
    assert demo["reviewer_nsa"].membership.agency == demo["nsa"]
    atlas = demo["atlas"]
    assert atlas.status == ReviewStatus.IN_REVIEW
    assert list(atlas.agencies.all()) == [demo["nsa"]]
    assert atlas.days_left() == 6
    assert atlas.assignments.get().reviewer == demo["reviewer_nsa"]
    assert atlas.assignments.get().status == AssignmentStatus.ACCEPTED
    helix = demo["helix"]
    assert helix.status == ReviewStatus.IN_REVIEW and list(helix.agencies.all()) == [demo["cisa"]]
    assert helix.assignments.get().reviewer == demo["reviewer_cisa"]
    assert not Review.objects.visible_to(demo["reviewer_nsa"]).filter(pk=helix.pk).exists()
    assert not Review.objects.visible_to(demo["reviewer_cisa"]).filter(pk=atlas.pk).exists()


@pytest.mark.django_db
def test_seed_demo_discussion_on_the_shared_finding_is_read_by_each_side_as_its_rule_says(demo):
    """The demo shows a finding's discussion: NSA's comment on CISA's shared
    finding, read by both agencies, and CISA's internal note, read by CISA
    and the program office only (the company sees neither: the finding is
    not shared with it). Search finds the finding by each comment for
    exactly those readers."""
    from findings.models import FindingComment
    from search.selectors import search

    finding = demo["atlas_mini"].findings.get(title="Safety classifier can be switched off by a config flag")
    shared = "NSA reproduced this on build 2.0.3: the same flag also skips the signature check on safeguard updates."
    internal = "Before sharing with Northwind, confirm whether the retail firmware ships with the flag readable."
    read = {
        who: set(FindingComment.objects.visible_to(demo[who]).filter(finding=finding).values_list("body", flat=True))
        for who in ("admin", "lead_nsa", "reviewer_nsa", "lead_cisa", "reviewer_cisa", "liaison_northwind", "liaison_contoso")
    }
    assert read == {
        "admin": {shared, internal}, "lead_nsa": {shared}, "reviewer_nsa": {shared},
        "lead_cisa": {shared, internal}, "reviewer_cisa": {shared, internal},
        "liaison_northwind": set(), "liaison_contoso": set(),
    }
    assert FindingComment.objects.get(body=shared).agency == demo["nsa"]
    assert FindingComment.objects.get(body=internal).agency == demo["cisa"]

    def found(who, text):
        section = {s.kind: s for s in search(user=demo[who], text=text).sections}["finding"]
        return [hit.pk for hit in section.hits]

    assert found("reviewer_nsa", '"retail firmware"') == []
    assert found("reviewer_cisa", '"retail firmware"') == [finding.pk]
    assert found("reviewer_nsa", '"signature check"') == [finding.pk]
    assert found("liaison_northwind", '"signature check"') == []


@pytest.mark.django_db
def test_seed_demo_password_only_in_demo_mode(settings):
    from accounts.models import User

    settings.PORTAL_DEMO_MODE = False
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert not User.objects.get(email="admin@portal.example").has_usable_password()


def test_docker_compose_file_is_valid_and_describes_the_production_topology():
    import json

    binary = Path(sys.executable).with_name("docker-compose")
    env = {"PATH": os.environ.get("PATH", ""), "SECRET_KEY": "s", "PORTAL_ENCRYPTION_KEY": "k", "PORTAL_CREDENTIAL_KEYS": "c", "PORTAL_SIGNING_KEY": "s", "POSTGRES_PASSWORD": "p",
           "S3_SECRET_KEY": "x", "PORTAL_BASE_URL": "https://portal.example.gov", "HOME": "/tmp"}
    result = subprocess.run([str(binary), "-f", "docker-compose.yml", "config", "--format", "json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert set(services) == {"nginx", "migrate", "web", "worker", "beat", "db", "redis", "clamd", "s3", "s3-init"}
    replicas = {name: (service.get("deploy") or {}).get("replicas", 1) for name, service in services.items()}
    assert (replicas["web"], replicas["worker"], replicas["beat"]) == (2, 2, 1)
    # The one-shot migration runs before any web server, worker or beat; all use the production settings.
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == "portal.settings.production"
        assert services[name]["environment"]["S3_ENDPOINT_URL"] == "http://s3:9000"
    # A missing secret is named (compose refuses to start without it).
    missing = subprocess.run([str(binary), "-f", "docker-compose.yml", "config", "--services"], cwd=ROOT,
                             env={**env, "S3_SECRET_KEY": ""}, capture_output=True, text=True, timeout=60)
    assert "required variable S3_SECRET_KEY is missing a value" in missing.stderr


SQLITE_WRITERS = """
import sqlite3, sys, threading
from django.db import connection, transaction
from accounts.models import User
print(connection.settings_dict["OPTIONS"].get("transaction_mode"))
with connection.cursor() as c:
    c.execute("PRAGMA journal_mode")
    print(c.fetchone()[0])
path = connection.settings_dict["NAME"]
other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
# The web server's transaction reads, the worker writes in between, then the
# web server writes: with deferred transactions SQLite refuses the web
# server's write at once ("database is locked"); begun immediately, the
# worker is the one that waits.
with transaction.atomic():
    User.objects.filter(pk=-1).exists()
    try:
        other.execute("UPDATE accounts_user SET full_name = full_name WHERE id = -1")
        print("worker wrote")
    except sqlite3.OperationalError as exc:
        print("worker waits:", exc)
    User.objects.filter(pk=-1).update(full_name="x")
print("web wrote")
"""


def test_embedded_sqlite_lets_the_web_server_and_the_worker_write_in_turn(tmp_path, embedded_copy):
    """The run command's SQLite file is shared by the web server and the Celery
    worker: a request's transaction must not fail because the worker wrote
    meanwhile (seen once as a 503 on the demo admin's first sign-in)."""
    embedded_copy(tmp_path)  # migrated once for the run (conftest.embedded_database); migrate below finds nothing to do
    env = local_env(tmp_path, PORTAL_DEMO_MODE="true")
    migrate = _manage("migrate", "--noinput", "-v", "0", env=env)
    assert migrate.returncode == 0, migrate.stderr
    result = _manage("shell", "--no-imports", "-c", SQLITE_WRITERS, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["IMMEDIATE", "wal"]
    assert lines[2].startswith("worker waits: database is locked")
    assert lines[3] == "web wrote"
    # The instance generated its keys in its own folder (local_env), not the checkout's var/.
    assert sorted(path.name for path in (tmp_path / "var").iterdir() if path.is_file()) == ["credential_key", "secret_key", "signing_key.pem"]
