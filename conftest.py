"""Fixtures shared by every app's tests: demo world, logged-in clients, TOTP."""

from __future__ import annotations

import pytest
from django.core.cache import cache

# One TOTP enrolment helper for the suite and `manage.py screenshots`.
from journeys.browser import give_totp  # noqa: F401  (tests import it from here)


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate limits and used TOTP codes live in the (real, Redis) cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def demo(db, django_db_blocker):
    """The demo world of DESIGN.md, built by ``seed_demo``; a dict of its objects."""
    from django.core.management import call_command

    from accounts.models import User
    from agencies.models import Agency
    from companies.models import Company
    from reviews.models import Review

    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))
    return {
        "admin": User.objects.get(email="admin@portal.example"),
        "lead_nsa": User.objects.get(email="lead.nsa@agency.example"),
        "lead_cisa": User.objects.get(email="lead.cisa@agency.example"),
        "reviewer_nsa": User.objects.get(email="reviewer.nsa@agency.example"),
        "reviewer_cisa": User.objects.get(email="reviewer.cisa@agency.example"),
        "liaison_northwind": User.objects.get(email="liaison@northwind.example"),
        "liaison_contoso": User.objects.get(email="liaison@contoso.example"),
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

        give_totp(user)
        client.force_login(user, backend="accounts.backends.PortalAuthenticationBackend")
        for review in accept_terms_for:
            terms_accept(review=review, user=user)
        return client

    return _login
