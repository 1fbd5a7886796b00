"""Benchmark: upload and download a 1 GiB document through gunicorn, and the web process's memory.

Run from the repository root (PostgreSQL on 127.0.0.1 as in scripts/test):

    .venv/bin/python -m bench upload|download [--size-mib 1024]

(``python -m bench.upload_download`` runs both phases without recording.)

It creates (and afterwards drops) the database ``portal_bench_docs``, migrates
it, loads the demo data, starts gunicorn (one sync worker) on a free loopback
port in demo mode, signs in as liaison@northwind.example, uploads a generated
file streamed from disk, downloads it back, checks the SHA-256 end to end and
prints ``name: value unit`` lines. The worker's peak RSS growth is read from
/proc/<pid>/status (VmHWM, reset through /proc/<pid>/clear_refs before each
phase). It is a benchmark, not a test: nothing here is timed in the suite.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "portal_bench_docs"
EMAIL, PASSWORD = "liaison@northwind.example", "demo-portal-2026"
CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


class Session:
    def __init__(self, port: int):
        self.port = port
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> str:
        with self.opener.open(self.url(path)) as r:
            return r.read().decode()

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def login(self) -> None:
        self.get("/accounts/login/")
        data = urllib.parse.urlencode({"login": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()}).encode()
        req = urllib.request.Request(self.url("/accounts/login/"), data=data, headers={"Referer": self.url("/accounts/login/")})
        with self.opener.open(req) as r:
            r.read()
        if not any(c.name == "sessionid" for c in self.jar):
            raise SystemExit("login failed")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def upload(session: Session, review_id: int, marking_id: int, path: Path) -> dict:
    boundary = "bench" + os.urandom(8).hex()
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in (("csrfmiddlewaretoken", session.csrf()), ("kind", "other"), ("marking", marking_id), ("title", "bench"))
    ) + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)

    def body():
        yield head
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
        yield tail

    conn = http.client.HTTPConnection("127.0.0.1", session.port, timeout=3600)
    conn.putrequest("POST", f"/reviews/{review_id}/documents/")
    for name, value in (
        ("Content-Type", f"multipart/form-data; boundary={boundary}"),
        ("Content-Length", str(length)),
        ("Accept", "application/json"),
        ("Cookie", session.cookie_header()),
        ("Referer", session.url("/")),
        ("X-CSRFToken", session.csrf()),
    ):
        conn.putheader(name, value)
    conn.endheaders()
    for part in body():
        conn.send(part)
    response = conn.getresponse()
    payload = response.read()
    if response.status != 200:
        raise SystemExit(f"upload failed: {response.status} {payload[:500]!r}")
    return json.loads(payload)


def download(session: Session, version_id: int) -> tuple[str, int]:
    conn = http.client.HTTPConnection("127.0.0.1", session.port, timeout=3600)
    conn.request("GET", f"/documents/versions/{version_id}/download/", headers={"Cookie": session.cookie_header()})
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"download failed: {response.status}")
    digest, size = hashlib.sha256(), 0
    while chunk := response.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def run(emit, *, size_mib: int = 1024, phases=("upload", "download"), database_url: str | None = None) -> None:
    """Uploads (and, with "download" in ``phases``, downloads back) one generated file."""
    database_url = database_url or os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DATABASE_URL": f"{database_url}/{DB_NAME}",
        "PORTAL_DEMO_MODE": "true",
        "DEBUG": "false",
        "MEDIA_ROOT": str(work / "media"),
        "TMPDIR": str(work / "tmp"),
        "CLAMAV_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    (work / "tmp").mkdir()
    python = sys.executable
    os.environ.setdefault("DATABASE_URL", f"{database_url}/postgres")
    from .db import drop_database, fresh_database

    fresh_database(DB_NAME)  # refuses a database of that name that bench did not make
    gunicorn = None
    try:
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        ids = subprocess.run(
            [python, "manage.py", "shell", "-c",
             "from reviews.models import Review; from documents.models import HandlingMarking;"
             "print(Review.objects.get(model__name='Atlas-2').pk, HandlingMarking.objects.get(is_default=True).pk)"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.split()
        review_id, marking_id = int(ids[-2]), int(ids[-1])

        source = work / "bench.pdf"
        expected = hashlib.sha256()
        with source.open("wb") as fh:
            header = b"%PDF-1.4\n"
            fh.write(header)
            expected.update(header)
            block = os.urandom(CHUNK)
            for i in range(size_mib):
                data = block[i % 251:] + block[: i % 251]
                fh.write(data)
                expected.update(data)
        size = source.stat().st_size
        mib = size / 1024 / 1024

        port = free_port()
        gunicorn = subprocess.Popen(
            [python, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--timeout", "3600", "--env", "DJANGO_SETTINGS_MODULE=portal.settings.local"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(work / "gunicorn.log").open("w"),
        )
        worker = worker_pid(gunicorn.pid)
        session = Session(port)
        for _ in range(100):
            try:
                session.login()
                break
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.2)
        session.get(f"/reviews/{review_id}/documents/")  # warm the worker

        emit("file.size", f"{mib:.0f}", "MiB")
        base = status_kib(worker, "VmRSS")
        reset_peak(worker)
        start = time.perf_counter()
        result = upload(session, review_id, marking_id, source)
        upload_s = time.perf_counter() - start
        upload_peak = status_kib(worker, "VmHWM") - base
        left = [p.name for p in (work / "tmp").iterdir()]
        emit("upload.seconds", f"{upload_s:.1f}", "s")
        emit("upload.throughput", f"{size / upload_s / 1e6:.1f}", "MB/s")
        emit("upload.throughput_mib", f"{mib / upload_s:.1f}", "MiB/s")
        emit("upload.worker_peak_rss_growth", f"{upload_peak / 1024:.1f}", "MiB")
        emit("upload.temp_files_left", len(left), "files")
        if "download" not in phases:
            return
        doc_id = int(re.search(r"/documents/(\d+)/", result["results"][0]["url"]).group(1))
        version_id = int(subprocess.run(
            [python, "manage.py", "shell", "-c",
             f"from documents.models import DocumentVersion; v = DocumentVersion.objects.get(document_id={doc_id}); print(v.pk, v.sha256)"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.split()[-2])

        base = status_kib(worker, "VmRSS")
        reset_peak(worker)
        start = time.perf_counter()
        got, got_size = download(session, version_id)
        download_s = time.perf_counter() - start
        download_peak = status_kib(worker, "VmHWM") - base
        ok = got == expected.hexdigest() and got_size == size
        emit("download.seconds", f"{download_s:.1f}", "s")
        emit("download.throughput", f"{size / download_s / 1e6:.1f}", "MB/s")
        emit("download.worker_peak_rss_growth", f"{download_peak / 1024:.1f}", "MiB")
        emit("download.sha256_end_to_end", "match" if ok else "MISMATCH", "")
        if not ok:
            raise SystemExit(1)
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)
        drop_database(DB_NAME)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()
    run(lambda name, value, unit: print(f"{name}: {value} {unit}".rstrip()), size_mib=args.size_mib, database_url=args.database_url)


if __name__ == "__main__":
    main()
