"""Demo mode (scripts/run: local settings with PORTAL_DEMO_MODE) answers with
the portal's own 404 and 500 pages, never Django's debug page with stack
frames, settings and data (issue 14, item 7)."""

from __future__ import annotations

import json

import pytest

from .test_settings_and_seed import _manage, local_env

SCRIPT = """
import json
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
setup_test_environment()
client = Client(raise_request_exception=False)
with override_settings(ROOT_URLCONF="portal.tests.urls_error_pages"):
    missing = client.get("/no-such-page/")
    failing = client.get("/fails/")
print(json.dumps({"debug": settings.DEBUG, "404": [missing.status_code, missing.content.decode()],
                  "500": [failing.status_code, failing.content.decode()]}))
"""

DEBUG_PAGE_MARKS = ("Traceback", "Using the URLconf", "secret-in-a-stack-frame", "hunter2", "DJANGO_SETTINGS_MODULE", "Request Method")


def _demo(tmp_path, **env):
    result = _manage(
        "shell", "-c", SCRIPT,
        env=local_env(tmp_path, PORTAL_DEMO_MODE="true", SECRET_KEY="x" * 50, **env),  # demo mode: what scripts/run sets
    )
    return result


def test_demo_mode_shows_the_portals_own_404_and_500_pages(tmp_path):
    result = _demo(tmp_path)
    assert result.returncode == 0, result.stderr
    pages = json.loads(result.stdout.strip().splitlines()[-1])
    assert pages["debug"] is False
    status, body = pages["404"]
    assert status == 404 and "There is nothing at this address." in body
    status, body = pages["500"]
    assert status == 500 and "Something went wrong" in body
    for page in (pages["404"][1], pages["500"][1]):
        for mark in DEBUG_PAGE_MARKS:
            assert mark not in page, mark


def test_debug_cannot_be_switched_on_in_demo_mode(tmp_path):
    result = _demo(tmp_path, DEBUG="true")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DEBUG must not be set with PORTAL_DEMO_MODE" in lines[0]


@pytest.mark.parametrize(("demo", "debug"), [("false", "True")])
def test_local_development_outside_demo_mode_keeps_debug(tmp_path, demo, debug):
    result = _manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)",
        env=local_env(tmp_path, PORTAL_DEMO_MODE=demo, SECRET_KEY="x" * 50),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == debug
