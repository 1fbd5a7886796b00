"""Benchmark: a signed closing package holding a 1 GiB document, built with bounded memory.

Run from the repository root (PostgreSQL on 127.0.0.1 as in scripts/test):

    .venv/bin/python -m bench package [--size-mib 1024]

It creates (and afterwards drops) the database ``portal_bench_package``,
migrates it, loads the demo data, adds a generated document of the given
size to the Atlas-2 review (written straight to storage in 1 MiB chunks), then
in one child process asks for and builds the program office's package (the
Celery task's code, called in process), and checks it with
``verify_package``. The child's peak RSS growth over its state before each
phase is read from /proc/self/status (VmHWM, reset through
/proc/self/clear_refs). It is a benchmark, not a test: nothing here is timed
in the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "portal_bench_package"
CHUNK = 1024 * 1024


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> int:
    Path("/proc/self/clear_refs").write_text("5")
    return _kib("VmRSS")


def child(size_mib: int) -> dict:
    """Runs inside the portal's settings: add the big document, build the package, verify it."""
    import hashlib
    import time
    import uuid

    import django

    django.setup()
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from accounts.models import User
    from documents.models import Document, DocumentVersion, HandlingMarking, ScanStatus
    from exports.models import ExportPackage
    from exports.packages import package_build
    from exports.services import package_request
    from reviews.models import Review

    review = Review.objects.get(model__name="Atlas-2")
    liaison = User.objects.get(email="liaison@northwind.example")
    admin = User.objects.get(email="admin@portal.example")
    name = f"documents/{uuid.uuid4()}"
    path = Path(default_storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    block = os.urandom(CHUNK)
    with path.open("wb") as fh:
        for i in range(size_mib):
            data = block[i % 251:] + block[: i % 251]
            fh.write(data)
            digest.update(data)
    document = Document.objects.create(
        review=review, kind="evaluation_results", title="Benchmark evaluation logs",
        marking=HandlingMarking.objects.get(is_default=True), created_by=liaison,
    )
    DocumentVersion.objects.create(
        document=document, number=1, file=name, original_name="eval-logs.bin", size=path.stat().st_size,
        content_type="application/octet-stream", sha256=digest.hexdigest(), uploaded_by=liaison,
        scan_status=ScanStatus.NOT_SCANNED, marking=document.marking,
    )

    from unittest import mock

    # The task's code runs here, in process; nothing is sent to a broker.
    mock.patch("exports.tasks.build_package.delay").start()
    # A warm-up package (hashes only) loads the report, OSCAL and zip code first, so the
    # measured growth is the big package's alone.
    package_build(package_id=package_request(review=review, user=admin, include_files=False).pk)

    base = _reset_peak()
    started = time.monotonic()
    package = package_request(review=review, user=admin)
    status = package_build(package_id=package.pk)
    build_seconds = time.monotonic() - started
    build_peak = _kib("VmHWM") - base
    package = ExportPackage.objects.get(pk=package.pk)

    base = _reset_peak()
    started = time.monotonic()
    with open(os.devnull, "w") as devnull:
        call_command("verify_package", default_storage.path(package.file), stdout=devnull)
    verify_seconds = time.monotonic() - started
    verify_peak = _kib("VmHWM") - base
    return {
        "status": status, "error": package.error, "size": package.size, "files": package.files_count,
        "build_seconds": build_seconds, "build_peak_kib": build_peak,
        "verify_seconds": verify_seconds, "verify_peak_kib": verify_peak,
    }


def run(emit, *, size_mib: int = 1024, database_url: str | None = None) -> None:
    database_url = database_url or os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
    work = Path(tempfile.mkdtemp(prefix="portal-bench-package-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "CELERY_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": f"{database_url}/{DB_NAME}",
        "PORTAL_DEMO_MODE": "true",
        "DEBUG": "false",
        "MEDIA_ROOT": str(work / "media"),
        "TMPDIR": str(work / "tmp"),
        "CLAMAV_URL": "",
        "LOG_LEVEL": "WARNING",
        "PORTAL_PACKAGE_MAX_BYTES": str(4 * 1024**3),
    }
    (work / "tmp").mkdir()
    python = sys.executable
    os.environ.setdefault("DATABASE_URL", f"{database_url}/postgres")
    from .db import drop_database, fresh_database

    fresh_database(DB_NAME)  # refuses a database of that name that bench did not make
    try:
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        result = subprocess.run(
            [python, "-m", "bench.package", "--child", "--size-mib", str(size_mib)],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )
        data = json.loads(result.stdout.strip().splitlines()[-1])
        if data["status"] != "ready":
            raise SystemExit(f"bench package: the package failed: {data['error']}")
        emit("package.document", size_mib, "MiB")
        emit("package.size", f"{data['size'] / 1024 / 1024:.0f}", "MiB")
        emit("package.files", data["files"], "files")
        emit("package.build_time", f"{data['build_seconds']:.1f}", "s")
        emit("package.build_throughput", f"{data['size'] / 1e6 / data['build_seconds']:.0f}", "MB/s")
        emit("package.build_peak_rss_growth", f"{data['build_peak_kib'] / 1024:.1f}", "MiB")
        emit("package.verify_time", f"{data['verify_seconds']:.1f}", "s")
        emit("package.verify_peak_rss_growth", f"{data['verify_peak_kib'] / 1024:.1f}", "MiB")
        left = [p for p in (work / "tmp").iterdir()]
        emit("package.temp_files_left", len(left), "files")
    finally:
        drop_database(DB_NAME)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.size_mib)))
    else:
        run(lambda n, v, u: print(f"{n}: {v} {u}"), size_mib=args.size_mib)
