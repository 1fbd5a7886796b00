"""The layering is a contract a tool checks (.importlinter); the test command
runs lint-imports. This shows the contract bites: the same check on a copy of
the code with one deliberately added upward import fails and names it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT, copy,
        ignore=shutil.ignore_patterns(".git", ".venv", "var", "media", "staticfiles", "test-results", "node_modules",
                                      "__pycache__", "*.png", "*.pdf", "docs", ".import_linter_cache"),
    )
    return copy


def _lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=where, capture_output=True, text=True, timeout=120)


def test_the_layer_contracts_hold_and_an_upward_import_breaks_them(tmp_path):
    copy = _copy(tmp_path)
    kept = _lint(copy)
    assert kept.returncode == 0, kept.stdout[-2000:]
    # The reviews core reaching up into the RFIs app (the circle issue 16 found).
    (copy / "reviews" / "upward.py").write_text("from rfis.models import InformationRequest  # noqa: F401\n")
    broken = _lint(copy)
    assert broken.returncode == 1
    assert "reviews is not allowed to import rfis" in broken.stdout
    assert "reviews.upward -> rfis.models" in broken.stdout


def test_a_circle_inside_an_app_breaks_the_contracts(tmp_path):
    copy = _copy(tmp_path)
    (copy / "documents" / "services.py").write_text(
        (copy / "documents" / "services.py").read_text() + "\nfrom . import tasks  # noqa: E402,F401\n"
    )
    (copy / "documents" / "tasks.py").write_text(
        (copy / "documents" / "tasks.py").read_text() + "\nfrom . import services  # noqa: E402,F401\n"
    )
    broken = _lint(copy)
    assert broken.returncode == 1
    assert "No cycles are allowed in documents" in broken.stdout
