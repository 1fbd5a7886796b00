"""``manage.py screenshots``: writes the pages' PNGs from a throwaway
database and never touches the configured one; says clearly what is missing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_screenshots_writes_pngs_and_leaves_the_configured_database_alone(tmp_path):
    real_db = tmp_path / "real.sqlite3"
    out = tmp_path / "shots"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": f"sqlite:///{real_db}",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),  # its keys and files: never the developer's var/
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "screenshots", "--journey", "login", "--output", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "throwaway database" in result.stdout
    shot = out / "login.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == ["login.png"]
    assert not real_db.exists() or real_db.stat().st_size == 0  # never migrated, never seeded


def test_screenshots_names_a_missing_chromium(tmp_path):
    with pytest.raises(CommandError, match="chromium not found at /nonexistent/chromium"):
        call_command("screenshots", "--chromium", "/nonexistent/chromium", "--output", str(tmp_path))
