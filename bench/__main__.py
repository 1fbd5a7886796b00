"""python -m bench <scenario>

Scenarios: seed (build the agency-scale data set in its own database),
pages (server time and queries of the main pages, and the naive guardian
list for comparison), sweep (one reminder sweep with 100,000 deadlines due
and one with none due). Each prints ``name: value unit`` lines and appends them,
with a description of the machine, to bench/RESULTS.md.
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
SCENARIOS = ("seed", "pages", "sweep")


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
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
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
    args = parser.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    from . import db

    if args.scenario == "seed":
        db.prepare_for_seed()
    else:
        db.require_seeded()

    import django

    django.setup()
    lines: list[str] = []

    def emit(name, value, unit):
        line = f"{name}: {value} {unit}"
        print(line, flush=True)
        lines.append(line)

    if args.scenario == "seed":
        from django.core.management import call_command
        from django.db import connection, transaction

        call_command("migrate", verbosity=0)
        from .seed import seed

        with transaction.atomic(), connection.cursor() as cur:
            result = seed(cur, scale=args.scale, log=lambda m: None)
        for key, value in result["counts"].items():
            emit(f"seed.{key}", value, "s" if key == "seconds" else "rows")
        db.mark_seeded()
    else:
        # A data set seeded before newer migrations still works once migrated.
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    if args.scenario == "pages":
        from .pages import run

        run(emit)
    elif args.scenario == "sweep":
        from .sweep import run

        run(emit)

    if not args.no_record:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with RESULTS.open("a") as fh:
            fh.write(f"\n## {args.scenario} — {stamp}\n\nMachine: {machine()}\n\n```\n" + "\n".join(lines) + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
