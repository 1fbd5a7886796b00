"""Fixtures shared by every app's tests: demo world, logged-in clients, TOTP."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache

# One TOTP enrolment helper for the suite and `manage.py screenshots`.
from journeys.browser import force_login_mfa, give_totp  # noqa: F401  (tests import them from here)


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate limits and used TOTP codes live in the (real, Redis) cache.
    cache.clear()
    yield
    cache.clear()


# The demo world is built once per test database (session) and every test
# runs in a transaction on top of it (rolled back), so a test that only reads
# it, or changes it, pays nothing for it. Its stored files live here and are
# copied into each test's own media folder.
_DEMO_MEDIA: list[Path] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.core.management import call_command
    from django.test import override_settings

    from django.core import mail

    from portal.celery import app

    media = tmp_path_factory.mktemp("demo-media")
    # Tasks the seed queues after its commit run here, not in a worker a later test starts.
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
            call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    finally:
        app.conf.task_always_eager = eager
    mail.outbox = []
    _DEMO_MEDIA[:] = [media]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    root = tmp_path / "media"
    if _DEMO_MEDIA and _DEMO_MEDIA[0].exists():
        shutil.copytree(_DEMO_MEDIA[0], root, dirs_exist_ok=True)
    settings.MEDIA_ROOT = str(root)


@pytest.fixture
def demo(db, django_db_blocker):
    """The demo world of DESIGN.md, built by ``seed_demo``; a dict of its objects.

    Present from the session's start (``django_db_setup``); a test that
    flushes the database (``transactional_db``, ``live_server``) gets it built
    again here."""
    from django.core.management import call_command

    from accounts.models import User
    from agencies.models import Agency
    from companies.models import Company
    from reviews.models import Review

    if not Review.objects.filter(model__name="Atlas-2 Mini").exists():
        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    # Users as a request has them: membership and organisation loaded with the user
    # (accounts.backends.PortalAuthenticationBackend), so a page or service costs what it does live.
    users = User.objects.select_related("membership__agency", "membership__company")
    return {
        "admin": users.get(email="admin@portal.example"),
        "lead_nsa": users.get(email="lead.nsa@agency.example"),
        "lead_cisa": users.get(email="lead.cisa@agency.example"),
        "reviewer_nsa": users.get(email="reviewer.nsa@agency.example"),
        "reviewer_cisa": users.get(email="reviewer.cisa@agency.example"),
        "liaison_northwind": users.get(email="liaison@northwind.example"),
        "liaison_contoso": users.get(email="liaison@contoso.example"),
        "atlas": Review.objects.get(model__name="Atlas-2"),
        "helix": Review.objects.get(model__name="Helix-1"),
        "atlas_mini": Review.objects.get(model__name="Atlas-2 Mini"),
        "nsa": Agency.objects.get(acronym="NSA"),
        "cisa": Agency.objects.get(acronym="CISA"),
        "dod": Agency.objects.get(acronym="DOD"),
        "northwind": Company.objects.get(slug="northwind"),
        "contoso": Company.objects.get(slug="contoso"),
    }


@pytest.fixture
def fresh_shared_review(demo):
    """A submitted Northwind review that NSA and CISA share and nobody is assigned to yet
    (the demo's Atlas-2 Mini is already in review with both agencies' reviewers)."""
    from companies.tests.factories import AIModelFactory

    from reviews.tests.factories import make_review

    model = AIModelFactory(company=demo["northwind"], name="Atlas-3 Preview")
    return make_review(
        company=demo["northwind"], agencies=[demo["nsa"], demo["cisa"]], status="submitted",
        liaison=demo["liaison_northwind"], model=model,
    )


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that this process's mail goes to;
    ``.box`` holds what it accepted and how it fails (notifications/tests/support.py)."""
    from notifications.tests.support import SmtpServer

    server = SmtpServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.EMAIL_TIMEOUT = 1
    yield server
    server.stop()


DEMO_ROLES = [
    "admin",
    "lead_nsa",
    "lead_cisa",
    "reviewer_nsa",
    "reviewer_cisa",
    "liaison_northwind",
    "liaison_contoso",
]


def totp_now(secret: str) -> str:
    """The code an authenticator app would show for ``secret`` right now."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def login(client):
    """``login(user)`` → a test client signed in as ``user`` with MFA enrolled."""

    def _login(user, *, accept_terms_for=()):
        from reviews.services import terms_accept

        force_login_mfa(client, user)
        for review in accept_terms_for:
            terms_accept(review=review, user=user)
        return client

    return _login
