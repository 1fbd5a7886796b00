"""Search on the run command's embedded default (SQLite, demo mode), where
each kind reads its scoped query with a plain match of every word instead of
PostgreSQL's full text (search.selectors: the SQLite branches): for every
demo role, the same pieces found, and nothing else, as on PostgreSQL
(``test_scope.EXPECTED``)."""

from __future__ import annotations

import json

from conftest import DEMO_USERS
from portal.tests.test_settings_and_seed import _manage

from .test_scope import EXPECTED

SCRIPT = """
import json
from django.core.management import call_command
from django.test.utils import setup_test_environment
setup_test_environment()
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
from conftest import demo_objects
from search.selectors import search
from search.tests.conftest import make_material
demo = demo_objects()
make_material(demo)
found = {}
for role, email in %(users)r.items():
    for word in %(words)r:
        results = search(user=demo[role], text=word)
        found[f"{role} {word}"] = {
            s.kind: [s.count, len(s.hits), all(("<mark>" + word) in h.snippet.lower() for h in s.hits)]
            for s in results.sections if s.count or s.hits
        }
print(json.dumps(found))
"""


def test_the_embedded_defaults_search_finds_only_what_each_role_may_see(tmp_path):
    result = _manage(
        "shell", "-c", SCRIPT % {"users": DEMO_USERS, "words": list(EXPECTED)},
        env={
            "DJANGO_SETTINGS_MODULE": "portal.settings.local",
            "PORTAL_DEMO_MODE": "true",  # what scripts/run sets
            "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
            "SECRET_KEY": "x" * 50,
            # Tasks queued here die with the process: never into var/broker, where
            # the developer's own worker would run them against their database.
            "CELERY_BROKER_URL": "memory://",
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    for role in DEMO_USERS:
        for word, (kind, finders) in EXPECTED.items():
            assert found[f"{role} {word}"] == ({kind: [1, 1, True]} if role in finders else {}), (role, word)
