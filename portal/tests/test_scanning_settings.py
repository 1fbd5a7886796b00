"""Production refuses to start without a virus scanner unless the opt-out is
explicit; demo mode counts as the opt-out (issue 14, item 6)."""

from __future__ import annotations

import pytest

from .test_settings_and_seed import PRODUCTION_ENV, _manage, local_env


def _production(**change):
    env = {**PRODUCTION_ENV, "CLAMAV_URL": None, **change}
    return _manage("check", env={k: v for k, v in env.items() if v is not None})


def test_production_without_clamav_url_is_refused_with_a_line_naming_it():
    result = _production()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "CLAMAV_URL is required" in lines[0]
    assert "PORTAL_ALLOW_UNSCANNED_DOCUMENTS=true" in lines[0]  # the documented way out


@pytest.mark.parametrize(
    "change",
    [{"CLAMAV_URL": "tcp://clamav:3310"}, {"CLAMAV_URL": "unix:///run/clamav/clamd.ctl"}, {"PORTAL_ALLOW_UNSCANNED_DOCUMENTS": "true"}],
    ids=["tcp", "unix", "opt-out"],
)
def test_production_starts_with_a_scanner_or_the_explicit_opt_out(change):
    result = _production(**change)
    assert result.returncode == 0, result.stdout + result.stderr


def test_malformed_opt_out_is_named():
    result = _production(PORTAL_ALLOW_UNSCANNED_DOCUMENTS="maybe")
    assert result.returncode == 1
    assert "PORTAL_ALLOW_UNSCANNED_DOCUMENTS is malformed" in result.stderr


@pytest.mark.parametrize(("demo", "expected"), [("true", "True"), ("false", "False")])
def test_demo_mode_counts_as_the_opt_out(tmp_path, demo, expected):
    result = _manage(
        "shell", "-c", "from django.conf import settings; print(settings.PORTAL_ALLOW_UNSCANNED_DOCUMENTS)",
        env=local_env(tmp_path, PORTAL_DEMO_MODE=demo, SECRET_KEY="x" * 50),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
