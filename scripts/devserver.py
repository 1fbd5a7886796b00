"""Runs the web server, a Celery worker and Celery beat together; Ctrl-C stops all.

If any of the three exits, the others are stopped too, so a broken worker
cannot hide behind a working web page.
"""

import os
import signal
import subprocess
import sys
import time

PY = sys.executable
PROCS = {
    "web": [PY, "manage.py", "runserver", "127.0.0.1:8000", "--noreload"],
    "worker": [PY, "-m", "celery", "-A", "portal", "worker", "--loglevel", "INFO", "--concurrency", "1"],
    "beat": [PY, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO"],
}


def main() -> int:
    children = {name: subprocess.Popen(cmd) for name, cmd in PROCS.items()}
    stopping = False

    def stop(*_):
        nonlocal stopping
        if stopping:
            return
        stopping = True
        for proc in children.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in children.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print("Portal: http://127.0.0.1:8000  (demo logins in README; Ctrl-C stops web, worker and beat)", flush=True)
    while not stopping:
        for name, proc in children.items():
            if proc.poll() is not None:
                print(f"{name} exited with code {proc.returncode}; stopping the others", file=sys.stderr, flush=True)
                stop()
                return proc.returncode or 1
        time.sleep(0.5)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
    sys.exit(main())
