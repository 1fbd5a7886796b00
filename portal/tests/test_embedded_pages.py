"""The run command's embedded default (SQLite, demo mode) serves every demo
role's main pages: the PostgreSQL-only reads (array subqueries, the reach
rows, full-text search) each have their other branch, and a page that took
one without it answered 503 to the demo admin right after signing in."""

from __future__ import annotations

import json

from conftest import DEMO_USERS

from .test_settings_and_seed import _manage, local_env

PAGES = ["/", "/reviews/", "/reviews/?sort=-model&per_page=10", "/search/?q=atlas", "/search/?q=%22red+team%22", "/notifications/"]

SCRIPT = """
import json
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
from accounts.models import User
from journeys.browser import force_login_mfa
from reviews.models import Review
answers = {}
for email in %(emails)r:
    user = User.objects.get(email=email)
    client = Client(raise_request_exception=False)
    force_login_mfa(client, user)
    for visit in (1, 2):  # the second visit through the statements kept at the first
        for url in %(pages)r:
            answers[f"{email} {visit} {url}"] = client.get(url).status_code
    seen = Review.objects.visible_to(user).order_by("pk").first()
    answers[f"{email} review"] = client.get(f"/reviews/{seen.pk}/").status_code if seen else 200
print(json.dumps(answers))
"""


def on_the_embedded_default(script: str, tmp_path, embedded_copy) -> dict:
    """What ``script`` (run by ``manage.py shell`` on the run command's
    embedded default: SQLite in ``tmp_path``, demo mode) prints last, as JSON.
    The database starts migrated (``embedded_copy``); the script's own
    ``migrate`` then has nothing to apply."""
    embedded_copy(tmp_path)
    result = _manage(
        "shell", "-c", script,
        # Its keys, cache and files in a folder of its own (local_env), and its
        # tasks die with the process: never in a queue a worker would run.
        env=local_env(tmp_path, PORTAL_DEMO_MODE="true", SECRET_KEY="x" * 50, CELERY_BROKER_URL="memory://"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # The demo's documents were stored in its own folder.
    assert any(path.is_file() for path in (tmp_path / "var" / "media").rglob("*"))
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_demo_roles_main_pages_answer_on_the_embedded_default(tmp_path, embedded_copy):
    answers = on_the_embedded_default(SCRIPT % {"emails": list(DEMO_USERS.values()), "pages": PAGES}, tmp_path, embedded_copy)
    assert len(answers) == len(DEMO_USERS) * (2 * len(PAGES) + 1)
    assert {key: status for key, status in answers.items() if status != 200} == {}
