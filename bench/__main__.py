"""python -m bench <scenario>

Scenarios: seed (build the agency-scale data set in its own database),
pages (server time and queries of the main pages and of the review list in
every order, each also as a ratio to the floor — the base layout with no
content, measured interleaved in the same run: bench/floor.py — and the
process's CPU time of each, apart from waiting for the database, and the
naive guardian list for comparison), search (the search page per user size
and query shape, its database time, its ratio to the floor page, its CPU
time against the floor's, indexing a 100-page PDF), search-load (four searchers at once for --seconds, default
20, with the kinds read side by side and then in turn: searches done,
errors, results differing from the in-turn search, p50/p95),
search-shared-index (an experiment: one shared index of every kind read in
one statement per search, built in a rolled-back transaction and timed per
user size and query shape beside the search as built: bench/shared_index.py),
search-fold (100,000 search records of 200 readers, a stopped worker's
backlog, folded into the audit trail in batches and at once, rolled back:
time, events a second, peak memory growth: bench/search_fold.py),
saved-searches (saved-search alerts, rolled back: one check per user size
and query shape, saving one, and a due backlog of 1,000 checked by one run:
bench/saved_searches.py), audit-search (the office's trail searched
at a million events, rolled back: the count and first page per query, and
the million's write time: bench/audit_search.py), load (10 users for 60 s against gunicorn, through
locust: pip install -r requirements-bench.txt), sweep (one reminder sweep with
100,000 deadlines due and one with none due), upload / download (a 1 GiB
file through gunicorn: time, throughput, the worker's peak memory growth),
smtp-outage (the mail server down for --seconds, default 150, with the
production retry schedule: every reminder delivered once afterwards?),
faults (issue 15's fault scenarios against scripts/prodlike's topology:
reminders due / sent / duplicated / lost, user-visible errors, orphan files;
``--only a,b`` runs some of them; see bench/faults.py), package (a signed
closing package holding a 1 GiB document: build time and peak memory growth,
then verify_package's).
pages, search and search-load first read the bench database into the
operating system's cache (``warm.seconds``: bench/db.py ``warm``).
Each prints ``name: value unit`` lines and appends them, with a description
of the machine, to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
SCENARIOS = ("seed", "pages", "search", "search-load", "search-shared-index", "search-fold", "saved-searches", "audit-search", "load", "sweep", "upload", "download", "smtp-outage", "faults", "package")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    try:
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    except OSError:
        pg = "psql not found"
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}, {pg}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--scale", type=float, default=1.0, help="seed size (1.0 = 100,000 reviews)")
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    parser.add_argument("--size-mib", type=int, default=1024, help="upload/download: file size")
    parser.add_argument("--seconds", type=int, default=None, help="load: duration (60); smtp-outage: the outage (150)")
    parser.add_argument("--people", type=int, default=18, help="smtp-outage: reviewers, each on every review")
    parser.add_argument("--reviews", type=int, default=20, help="smtp-outage: reviews whose reminder falls due")
    parser.add_argument("--users", type=int, default=10, help="load: concurrent users")
    parser.add_argument("--only", default="", help="faults: comma-separated scenarios (default: all)")
    args = parser.parse_args(argv)
    lines: list[str] = []

    def emit(name, value, unit):
        line = f"{name}: {value} {unit}".rstrip()
        print(line, flush=True)
        lines.append(line)

    if args.scenario == "smtp-outage":
        # Its own throwaway database, worker and SMTP server (bench/smtp_outage.py).
        from .smtp_outage import run as run_outage

        run_outage(emit, seconds=args.seconds or 150, people=args.people, reviews=args.reviews)
        _record(args, lines)
        return 0
    if args.scenario == "faults":
        # Its own topology (prodlike), PostgreSQL cluster and data (bench/faults.py).
        from .faults import run as run_faults

        run_faults(emit, only=tuple(x for x in args.only.split(",") if x))
        _record(args, lines)
        return 0

    if args.scenario == "package":
        # Its own throwaway database with the demo data (bench/package.py).
        from .package import run as run_package

        run_package(emit, size_mib=args.size_mib)
        _record(args, lines)
        return 0

    if args.scenario in ("upload", "download"):
        # Its own throwaway database with the demo data (bench/upload_download.py).
        from .upload_download import run as run_files

        run_files(emit, size_mib=args.size_mib, phases=("upload",) if args.scenario == "upload" else ("upload", "download"))
        _record(args, lines)
        return 0

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    from . import db

    if args.scenario == "seed":
        db.prepare_for_seed()
    else:
        db.require_seeded()

    import django

    django.setup()

    if args.scenario == "seed":
        from django.core.management import call_command
        from django.db import connection, transaction

        call_command("migrate", verbosity=0)
        from .seed import seed

        with transaction.atomic(), connection.cursor() as cur:
            result = seed(cur, scale=args.scale, log=lambda m: None)
        # A settled database, as autovacuum leaves one in production: the
        # visibility map lets the deadline index answer page ids on its own.
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        for key, value in result["counts"].items():
            emit(f"seed.{key}", value, "s" if key == "seconds" else "rows")
        db.mark_seeded()
    else:
        # A data set seeded before newer migrations still works once migrated;
        # then settled as after the seed (a migration that rewrites rows, such
        # as reviews 0029, leaves their pages out of the visibility map, and
        # every index-only read of them visits the table until a vacuum: the
        # README's Upgrading says to run it in production too).
        from django.core.management import call_command
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        call_command("migrate", verbosity=0)
        if pending:
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
    if args.scenario in ("pages", "search", "search-load", "search-shared-index"):
        seconds = db.warm()
        if seconds is not None:
            emit("warm.seconds", seconds, "s")
    if args.scenario == "pages":
        from .pages import run

        run(emit)
    elif args.scenario == "search":
        from .search import run

        run(emit)
    elif args.scenario == "search-shared-index":
        from .shared_index import run

        run(emit)
    elif args.scenario == "search-fold":
        from .search_fold import run

        run(emit)
    elif args.scenario == "audit-search":
        from .audit_search import run

        run(emit)
    elif args.scenario == "saved-searches":
        from .saved_searches import run

        run(emit)
    elif args.scenario == "search-load":
        from .search import run_load

        run_load(emit, seconds=args.seconds or 20)
    elif args.scenario == "load":
        from .load import run

        run(emit, users=args.users, seconds=args.seconds or 60)
    elif args.scenario == "sweep":
        from .sweep import run

        run(emit)
    _record(args, lines)
    return 0


def _record(args, lines) -> None:
    if not args.no_record:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with RESULTS.open("a") as fh:
            fh.write(f"\n## {args.scenario} — {stamp}\n\nMachine: {machine()}\n\n```\n" + "\n".join(lines) + "\n```\n")


if __name__ == "__main__":
    sys.exit(main())
