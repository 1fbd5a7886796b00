"""python -m prodlike up|check [--port-base N]

up     starts the topology (topology.py) and keeps it running until Ctrl-C,
       then stops everything it started.
check  starts it, runs the checks (checks.py: the three browser journeys
       through nginx, S3 uploads and watermarked downloads, sessions and
       rate limits shared by both web servers, X-Accel-Redirect downloads
       recorded and scoped), stops everything and exits non-zero on a
       failure. It closes with one line "N passed, N failed".
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/prodlike", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("up", "check"))
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("PRODLIKE_PORT_BASE", 18300)))
    parser.add_argument("--database", default=os.environ.get("PRODLIKE_DATABASE", "portal_prodlike"))
    parser.add_argument("-k", dest="only", default="", help="check: run only the checks whose name contains this")
    args = parser.parse_args(argv)

    from .topology import Topology

    topology = Topology(base_port=args.port_base, database=args.database, verbose=True)
    started = time.monotonic()

    def interrupted(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        topology.start()
        print(f"prodlike: up in {time.monotonic() - started:.0f} s — {topology.url} "
              f"(web 1 alone: {topology.web_url(1)}, web 2 alone: {topology.web_url(2)}; self-signed TLS: "
              f"{topology.work / 'tls' / 'cert.pem'})", flush=True)
        if args.command == "up":
            print("prodlike: the demo accounts have no password outside demo mode; give one a password (and then set up "
                  f"TOTP at first sign-in) with: set -a; . {topology.work / 'env'}; set +a; "
                  ".venv/bin/python manage.py changepassword admin@portal.example — Ctrl-C stops everything.", flush=True)
            while True:
                for name, proc in topology.procs.items():
                    if proc.popen.poll() is not None:
                        print(f"prodlike: {name} exited ({proc.popen.returncode}); see {proc.log}", file=sys.stderr)
                        return 1
                time.sleep(1)
        from .checks import run_checks

        return run_checks(topology, only=args.only)
    except KeyboardInterrupt:
        return 130
    finally:
        topology.stop()
        print(f"prodlike: stopped everything it started ({time.monotonic() - started:.0f} s in all)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
