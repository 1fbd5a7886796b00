"""``load``: concurrent users against gunicorn on loopback, driven by locust.

gunicorn serves the seeded bench database with the bench settings (three
sync workers, the usual 2 × cores − 1 on this machine's two cores). Each of
the 10 locust users is one of the four bench people (u20, u500, u20000 and
the program admin, in turn), signed in through a real session cookie, and
clicks through what a reviewer does all day: dashboard, review list (first
and later pages), a review, its documents. Between clicks a user waits 0.5–2 s,
as a person reading a page does; with no wait at all 10 clients on 2 cores
measure the queue, not a page.

Locust runs in its own process; its CSV summary is read back for p50, p95,
requests and errors.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USERS = ("u20", "u500", "u20000", "admin")


def _sessions() -> dict:
    """A signed-in session cookie and a few visible review ids per bench user."""
    from accounts.models import User
    from reviews.models import Review
    from reviews.services import terms_accept

    from .people import signed_in

    people = {}
    for key in USERS:
        user = User.objects.select_related("membership").get(email=f"bench-{key}@bench.example")
        client = signed_in(user)
        visible = Review.objects.visible_to(user)
        total = visible.count()
        reviews = list(visible.order_by("window_end", "id").values_list("pk", flat=True)[:5])
        if not user.is_program_admin:
            for pk in reviews:
                terms_accept(review=Review.objects.get(pk=pk), user=user)
        people[key] = {"cookie": client.cookies["sessionid"].value, "reviews": reviews, "pages": max(1, total // 25)}
    return people


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is up
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer at {url}")


def _warm(port: int, people: dict) -> None:
    """Each worker compiles its templates and opens its database connection
    before the clock starts (a few rounds over every page, spread by the
    kernel over the three workers)."""
    for _ in range(4):
        for person in people.values():
            review = person["reviews"][0]
            for path in ("/", "/reviews/", f"/reviews/{review}/", f"/reviews/{review}/documents/"):
                request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={person['cookie']}"})
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()


def run(emit, *, users: int = 10, seconds: int = 60) -> None:
    import importlib.util

    # Only looked for: importing locust here would let gevent patch this
    # process's threads under Django's database connection.
    if importlib.util.find_spec("locust") is None:
        raise SystemExit("bench load: locust is not installed; run .venv/bin/pip install -r requirements-bench.txt")
    from .upload_download import free_port

    people = _sessions()
    work = Path(tempfile.mkdtemp(prefix="portal-load-"))
    (work / "people.json").write_text(json.dumps(people))
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_PEOPLE": str(work / "people.json")}
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "3",
         "--access-logfile", "-"],
        cwd=ROOT, env=env, stdout=(work / "access.log").open("w"), stderr=(work / "gunicorn.log").open("w"),
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/accounts/login/")
        _warm(port, people)
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
             "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
             "--csv", str(work / "load"), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL, stderr=(work / "locust.log").open("w"),
        )
        rows = list(csv.DictReader((work / "load_stats.csv").open()))
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
    total = next(r for r in rows if r["Name"] == "Aggregated")
    emit("load.users", users, "users")
    emit("load.seconds", seconds, "s")
    emit("load.requests", total["Request Count"], "requests")
    emit("load.throughput", round(float(total["Requests/s"]), 1), "req/s")
    emit("load.p50", total["50%"], "ms")
    emit("load.p95", total["95%"], "ms")
    emit("load.p99", total["99%"], "ms")
    emit("load.errors", total["Failure Count"], "errors")
    for row in rows:
        if row["Name"] != "Aggregated":
            emit(f"load.{row['Name']}.p95", row["95%"], "ms")
    shutil.rmtree(work, ignore_errors=True)
