"""What ``scripts/prodlike check`` proves against the running topology, all through nginx (TLS).

1. The three browser journeys (journeys/flows.py, with the assertions of
   journeys/tests/test_journeys.py), in chromium, on a fresh demo world
   each: every page through nginx, the two web servers behind it, uploads
   into S3, e-mail through the workers to the counting SMTP server (the
   invitation link is read from it).
2. Uploads and downloads through S3: an API upload lands in the bucket
   byte for byte, clamd scans it through a worker, a CUI PDF comes back
   watermarked with the reader's e-mail, and an EICAR file is quarantined.
3. Sessions are shared: signed in through web 1 alone, the same cookie
   works on web 2 alone, and signing out on web 2 ends it on web 1.
4. Rate limits are shared: failed logins split across both web servers add
   up to allauth's limit; API requests split across both add up to
   PORTAL_API_THROTTLE_RATE.
5. X-Accel-Redirect downloads: nginx sends the bytes (from S3, through the
   internal location), each one is still a DocumentAccess row and an audit
   event, an out-of-scope reader gets 404 with nothing recorded, and the
   internal location itself is unreachable from outside.
6. Static files are nginx's: served with long-lived caching, never reaching
   gunicorn.

Each check prints PASS/FAIL with the reason; the run ends with one line
"N passed, N failed".
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

PASSWORD = "Prodlike-Passw0rd-2026"


class Client:
    """A browser-like HTTPS client: cookies, CSRF, redirects; never raises on an HTTP status."""

    def __init__(self, topology, base: str | None = None, jar: CookieJar | None = None):
        self.topology = topology
        self.base = base or topology.url
        self.jar = jar if jar is not None else CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=topology.ssl_context()), urllib.request.HTTPCookieProcessor(self.jar)
        )

    def on(self, base: str) -> "Client":
        """The same cookies, another front door."""
        return Client(self.topology, base, self.jar)

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, method: str, path: str, *, data: bytes | None = None, headers: dict | None = None):
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=data, method=method, headers={"Referer": self.base + "/", **(headers or {})})
        try:
            with self.opener.open(req, timeout=120) as response:
                return response.status, response.headers, response.read(), response.url
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read(), url

    def get(self, path: str, **headers):
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: dict):
        self.get(path) if not self.csrf() else None
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.csrf()}).encode()
        return self.request("POST", path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": self.base})

    def sign_in(self, email: str, secret: str, password: str = PASSWORD):
        """Password, then the TOTP code; returns (status, body, final URL) of the last step."""
        from journeys.browser import fresh_totp

        self.get("/accounts/login/")
        status, _, body, url = self.post_form("/accounts/login/", {"login": email, "password": password})
        if "/accounts/2fa/authenticate/" in url:
            status, _, body, url = self.post_form("/accounts/2fa/authenticate/", {"code": fresh_totp(secret)})
        return status, body, url


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "prodlike" + uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  "Content-Type: application/octet-stream\r\n\r\n".encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def api(topology, token: str, method: str, path: str, *, base: str | None = None, fields=None, files=None, json_body=None):
    client = Client(topology, base)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if files is not None or fields is not None:
        data, headers["Content-Type"] = multipart(fields or {}, files or {})
    elif json_body is not None:
        data, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
    status, response_headers, body, _ = client.request(method, path, data=data, headers=headers)
    return status, response_headers, body


def wait_until(predicate, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


KEEP = ("django_content_type", "auth_permission", "django_migrations")


def reset_world() -> None:
    """A fresh demo world (the journeys each start from it, as in the suite).

    Not ``flush``: it would re-create the content types and permissions under
    new ids while the running web servers and workers keep the old ones
    cached. Every other table is emptied, the post-migrate defaults (reminder
    rules, markings, criteria, categories) come back as after a flush, and beat's
    schedule is kept.
    """
    from django.core.management import call_command
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connection

    tables = [t for t in connection.introspection.django_table_names(only_existing=True, include_views=False)
              if t not in KEEP and not t.startswith("django_celery_beat_")]
    with connection.cursor() as cur:
        cur.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " RESTART IDENTITY CASCADE")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))


def person(email: str):
    """The demo user ``email`` with a password and TOTP (seed_demo outside demo mode gives no password)."""
    from accounts.models import User
    from journeys.browser import give_totp

    user = User.objects.get(email=email)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user, give_totp(user)


def token(email: str) -> str:
    from accounts.models import User
    from api.services import token_create

    return token_create(user=User.objects.get(email=email), name="prodlike")[1]


# --- 1. journeys ----------------------------------------------------------------------


def _journeys(topology, after_first=None):
    """The three journeys, each on a fresh demo world; ``after_first()`` (returning outcomes)
    runs on the world the first one leaves, before the next reset."""
    from playwright.sync_api import expect, sync_playwright

    from journeys.browser import JourneySession, launch_args

    # Every upload goes through S3 and queues a scan: allow more than the suite's live_server needs.
    expect.set_options(timeout=20_000)
    from journeys.tests import test_journeys

    class ProdlikeSession(JourneySession):
        def _new_page(self, label, **context_args):
            context_args.setdefault("ignore_https_errors", True)
            return super()._new_page(label, **context_args)

        def invitation_link(self, email: str) -> str:
            def found():
                for message in reversed(topology.smtp.to(email)):
                    match = re.search(r"https?://\S+/invite/[^/\s]+/", message.body)
                    if match:
                        return match.group(0)
                return None

            return wait_until(found, f"the invitation e-mail to {email} at the SMTP server", 60)

    journeys = [
        ("journey: liaison (review drafted by keyboard, drag-and-drop upload into S3, RFI answered, token)", test_journeys.test_liaison_journey),
        ("journey: reviewer (assignment, terms, download from S3, blocking RFI, finding, checklist, reminder)", test_journeys.test_reviewer_journey),
        ("journey: admin and lead (invitation by e-mail, open, assign, revoke, extension, close, report, audit)", test_journeys.test_admin_and_lead_journey),
    ]
    outcomes = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        try:
            for index, (name, journey) in enumerate(journeys):
                if index:
                    _timed("a fresh demo world", reset_world)

                def run(journey=journey):
                    session = ProdlikeSession(browser, topology.url)
                    try:
                        journey(session)
                        session.assert_clean()
                        return f"{len(session.checked)} checkpoints"
                    finally:
                        session.close()

                outcomes.append((name, _attempt(run)))
                _report(*outcomes[-1])
                if index == 0 and after_first is not None:
                    after_first, then = None, after_first
                    outcomes += then()
        finally:
            browser.close()
    return outcomes


def _timed(what: str, fn) -> None:
    started = time.monotonic()
    fn()
    print(f"prodlike: {what} in {time.monotonic() - started:.1f} s", flush=True)


def _report(name: str, outcome: tuple[bool, str]) -> None:
    ok, detail = outcome
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


def _attempt(fn):
    started = time.monotonic()
    try:
        detail = fn()
        return True, f"{detail or 'ok'} ({time.monotonic() - started:.1f} s)"
    except Exception as exc:
        return False, f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=6)}"


# --- 2.–6. the topology's own promises -------------------------------------------------------


def check_sessions_shared(topology):
    _, secret = person("reviewer.nsa@agency.example")
    one = Client(topology, topology.web_url(1))
    status, body, url = one.sign_in("reviewer.nsa@agency.example", secret)
    assert status == 200 and "/accounts/" not in url, f"sign-in through web 1 ended at {url} ({status})"
    two = one.on(topology.web_url(2))
    status, _, body, url = two.get("/")
    assert status == 200 and url.rstrip("/") == topology.web_url(2), f"web 2 sent the signed-in user to {url}"
    assert b"Riley Reviewer" in body, "web 2 does not show the user signed in on web 1"
    status, _, body, url = two.post_form("/accounts/logout/", {})
    status, _, body, url = one.get("/")
    assert "/accounts/login/" in url, f"after signing out on web 2, web 1 still served {url}"
    return "signed in on web 1, continued and signed out on web 2, web 1 agrees"


def check_login_rate_limit_shared(topology):
    _, secret = person("lead.cisa@agency.example")
    clients = [Client(topology, topology.web_url(1)), Client(topology, topology.web_url(2))]
    for attempt in range(5):
        client = clients[attempt % 2]
        client.get("/accounts/login/")
        status, _, body, _ = client.post_form("/accounts/login/", {"login": "lead.cisa@agency.example", "password": "wrong-password-1"})
        assert status == 200 and b"not correct" in body, f"failed login {attempt + 1} answered {status}"
    fresh = Client(topology, topology.web_url(2))
    status, body, url = fresh.sign_in("lead.cisa@agency.example", secret)
    assert b"Too many failed login attempts" in body, f"the sixth login (right password) went through: {url}"
    return "5 failed logins split 3 on web 1 / 2 on web 2; the 6th (right password, web 2) refused"


def check_api_throttle_shared(topology):
    from django.conf import settings

    limit = int(settings.PORTAL_API_THROTTLE_RATE.split("/")[0])
    plain = token("reviewer.cisa@agency.example")
    answered = {1: [], 2: []}
    for i in range(limit + 4):
        n = 1 + i % 2
        status, headers, body = api(topology, plain, "GET", "/api/v1/reviews/", base=topology.web_url(n))
        answered[n].append(status)
        if status == 429:
            assert json.loads(body)["errors"][0]["code"] == "throttled", body[:200]
    ok = answered[1].count(200) + answered[2].count(200)
    assert ok == limit, f"{ok} requests answered 200 with a limit of {limit}: {answered}"
    assert answered[1].count(200) and answered[2].count(200), answered
    assert answered[1][-1] == answered[2][-1] == 429, answered
    return f"{limit}/min across both: web 1 {answered[1].count(200)} + web 2 {answered[2].count(200)} answered, then 429 on both"


def _scanned(version_id: int, status: str, timeout: float = 60):
    from documents.models import DocumentVersion

    return wait_until(
        lambda: DocumentVersion.objects.filter(pk=version_id, scan_status=status).first(), f"version {version_id} to be {status}", timeout
    )


def _upload(topology, liaison_token, review, name, content, marking=None):
    fields = {"review": review.pk, "kind": "security_documentation", "title": name}
    if marking is not None:
        fields["marking"] = marking.pk
    status, _, body = api(topology, liaison_token, "POST", "/api/v1/documents/", fields=fields, files={"file": (name, content)})
    assert status == 201, f"upload of {name} answered {status}: {body[:300]!r}"
    return json.loads(body)["versions"][0]


def check_s3_upload_scan_and_watermark(topology):
    from pypdf import PdfReader

    from documents.models import DocumentVersion, HandlingMarking, ScanStatus
    from documents.tests.factories import EICAR, pdf_bytes
    from reviews.models import Review

    atlas = Review.objects.get(model__name="Atlas-2")
    person("reviewer.nsa@agency.example")
    liaison = token("liaison@northwind.example")
    reader = token("reviewer.nsa@agency.example")
    cui = HandlingMarking.objects.get(name="Controlled Unclassified Information")
    content = pdf_bytes("prodlike CUI card", pages=2)
    before = set(topology.s3_keys())
    version = _upload(topology, liaison, atlas, "cui-card.pdf", content, cui)
    stored = DocumentVersion.objects.get(pk=version["id"])
    assert set(topology.s3_keys()) - before == {stored.file.name}, "the upload did not land in the bucket under its random name"
    body = topology.s3_client().get_object(Bucket=topology.bucket, Key=stored.file.name)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == version["sha256"] == hashlib.sha256(content).hexdigest()
    _scanned(stored.pk, ScanStatus.CLEAN)

    status, _, _ = api(topology, reader, "POST", f"/api/v1/reviews/{atlas.pk}/accept-terms/")
    assert status in (200, 201, 204), f"accept-terms answered {status}"
    status, headers, pdf = api(topology, reader, "GET", f"/api/v1/versions/{stored.pk}/download/")
    assert status == 200 and headers.get("X-Watermarked") == "1", f"download answered {status} {dict(headers)}"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "reviewer.nsa@agency.example" in text and "sha256 " + version["sha256"][:16] in text, text[:300]
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2

    infected = _upload(topology, liaison, atlas, "eicar.txt", EICAR)
    _scanned(infected["id"], ScanStatus.INFECTED)
    status, _, _ = api(topology, liaison, "GET", f"/api/v1/versions/{infected['id']}/download/")
    assert status == 403, f"a quarantined file answered {status}"
    return "PDF in S3 byte for byte, scanned clean by clamd via a worker, downloaded watermarked for the reader; EICAR quarantined"


def check_x_accel_downloads_recorded_and_scoped(topology):
    from accounts.models import User
    from audit.models import AuditEvent
    from documents.models import DocumentAccess, ScanStatus
    from reviews.models import Review
    from reviews.services import terms_accept

    atlas = Review.objects.get(model__name="Atlas-2")
    liaison = token("liaison@northwind.example")
    content = ("evaluation notes, " * 4000).encode()
    version = _upload(topology, liaison, atlas, "notes.txt", content)
    stored = _scanned(version["id"], ScanStatus.CLEAN)

    _, secret = person("reviewer.nsa@agency.example")
    reader = Client(topology)
    reader.sign_in("reviewer.nsa@agency.example", secret)
    terms_accept(review=atlas, user=User.objects.get(email="reviewer.nsa@agency.example"))
    accesses = DocumentAccess.objects.filter(version=stored, action="download")
    events = AuditEvent.objects.filter(action="document.download", target_id=str(stored.document_id))
    before = (accesses.count(), events.count())
    status, headers, body, _ = reader.get(f"/documents/versions/{stored.pk}/download/")
    assert status == 200 and body == content, f"download answered {status} with {len(body)} bytes"
    assert "X-Accel-Redirect" not in headers, "nginx passed X-Accel-Redirect on to the client"
    assert headers.get("Content-Disposition", "").startswith("attachment") and "notes.txt" in headers["Content-Disposition"]
    assert (accesses.count(), events.count()) == (before[0] + 1, before[1] + 1), "the download was not recorded"
    assert accesses.latest("id").user.email == "reviewer.nsa@agency.example"
    gunicorn = topology.procs["web1"].log.read_text() + topology.procs["web2"].log.read_text()
    assert f"/documents/versions/{stored.pk}/download/" in gunicorn
    nginx_log = (topology.work / "nginx" / "access.log").read_text()
    assert re.search(rf'GET /documents/versions/{stored.pk}/download/ HTTP/1\.1" 200 {len(content)} ', nginx_log), "nginx did not send the bytes"

    # Out of scope: CISA's reviewer sees nothing of Atlas-2, and nothing is recorded.
    _, secret = person("reviewer.cisa@agency.example")
    outsider = Client(topology)
    outsider.sign_in("reviewer.cisa@agency.example", secret)
    status, _, body, _ = outsider.get(f"/documents/versions/{stored.pk}/download/")
    assert status == 404, f"an out-of-scope download answered {status}"
    status, _, _ = api(topology, token("reviewer.cisa@agency.example"), "GET", f"/api/v1/versions/{stored.pk}/download/")
    assert status == 404, f"an out-of-scope API download answered {status}"
    assert not DocumentAccess.objects.filter(version=stored, user__email="reviewer.cisa@agency.example").exists()

    # The internal location is not a way in.
    status, _, _, _ = Client(topology).get(f"/protected/{topology.bucket}/{stored.file.name}")
    assert status == 404, f"/protected/ answered {status} from outside"
    return "nginx sent the S3 bytes; DocumentAccess + audit event recorded; out of scope 404 (web and API), nothing recorded; /protected/ 404"


def check_static_files_from_nginx(topology):
    manifest = json.loads((topology.work / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/portal.css"] if "css/portal.css" in manifest else next(v for k, v in manifest.items() if k.endswith(".css"))
    status, headers, body, _ = Client(topology).get(f"/static/{hashed}")
    assert status == 200 and body, f"/static/{hashed} answered {status}"
    assert "public" in headers.get("Cache-Control", "") and headers.get("Server", "").startswith("nginx")
    logs = topology.procs["web1"].log.read_text() + topology.procs["web2"].log.read_text()
    assert "/static/" not in logs, "a static file reached gunicorn"
    return f"/static/{hashed} from nginx (Cache-Control: {headers.get('Cache-Control')}), never from gunicorn"


def check_mail_through_workers(topology):
    """The journeys' e-mail went through Celery workers to the SMTP server, each message once."""
    counts = topology.smtp.per_recipient_subject()
    assert counts, "no e-mail reached the SMTP server"
    return f"{sum(counts.values())} messages to {len({r for r, _ in counts})} recipients"


def check_search_side_by_side(topology):
    """Under gunicorn, with persistent connections, a search reads its kinds
    side by side (portal.parallel): the page shows what the same search finds
    read in turn here; and the dashboard sends its inbox ahead on a second
    connection (portal.ahead), named so in pg_stat_activity."""
    from accounts.models import User
    from portal.parallel import one_after_another
    from search.selectors import search

    # Not a person the checks before sign in with their code: a code is taken once per 30 s step.
    email = "lead.nsa@agency.example"
    _, secret = person(email)
    client = Client(topology, topology.web_url(1))
    status, _, url = client.sign_in(email, secret)
    assert status == 200 and "/accounts/" not in url, f"sign-in ended at {url} ({status})"
    user = User.objects.select_related("membership__agency", "membership__company").get(email=email)
    with one_after_another():
        expected = search(user=user, text="Atlas")
    urls = [hit.url for section in expected.sections for hit in section.hits]
    assert urls, "the demo world has nothing the NSA lead finds for 'Atlas'"
    before = _client_backends()
    for _ in range(3):  # the pool's connections opened, then reused
        status, _, body, _ = client.get("/search/?q=Atlas")
        assert status == 200, status
        missing = [u for u in urls if f'href="{u}"'.encode() not in body]
        assert not missing, f"the page lacks {missing}"
    searched = (f"{len(urls)} hits over {len([s for s in expected.sections if s.hits])} kinds, as read in turn; "
                f"connections to the database {before} -> {_client_backends()}")
    # The same person's dashboard sends its inbox ahead on a second connection
    # (portal.ahead): the page lists what the inbox read in turn here lists.
    from django.utils.html import escape

    from dashboard.inbox import inbox_for

    items = [item.url for _, item in inbox_for(user).items]
    assert items, "the demo world has nothing in the NSA lead's inbox"
    for _ in range(3):
        status, _, body, _ = client.get("/")
        assert status == 200, status
        missing = [u for u in items if f'href="{escape(u)}"'.encode() not in body]
        assert not missing, f"the dashboard lacks {missing}"
    ahead = _client_backends(" read-ahead")
    assert ahead >= 1, "no web process holds a read-ahead connection"
    return f"{searched}; the dashboard's {len(items)} inbox items as read in turn, {ahead} read-ahead connection(s)"


def _client_backends(named: str = "") -> int:
    """Client sessions on the database (``named``: whose application_name ends so)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'"
            " AND application_name LIKE %s",
            ["%" + named],
        )
        return cursor.fetchone()[0]


CHECKS = (
    ("sessions shared by both web servers", check_sessions_shared),
    ("search read side by side and the inbox sent ahead under gunicorn", check_search_side_by_side),
    ("failed-login limit shared by both web servers", check_login_rate_limit_shared),
    ("API throttle shared by both web servers", check_api_throttle_shared),
    ("S3 upload, clamd scan, watermarked download", check_s3_upload_scan_and_watermark),
    ("X-Accel-Redirect downloads recorded and scoped", check_x_accel_downloads_recorded_and_scoped),
    ("static files served by nginx", check_static_files_from_nginx),
    ("e-mail through the workers", check_mail_through_workers),
)


def run_checks(topology, only: str = "") -> int:
    os.environ.update(topology.env)
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are plain sync code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    outcomes: list[tuple[str, tuple[bool, str]]] = []
    checked: list[bool] = []

    def topology_checks():
        # The liaison's journey leaves the demo world's people, reviews and grants as the checks
        # need them (it drafts a review of its own): they run on its world, one reset fewer.
        checked.append(True)
        results = []
        for name, fn in CHECKS:
            if only and only not in name and only not in fn.__name__:
                continue
            results.append((name, _attempt(lambda fn=fn: fn(topology))))
            _report(*results[-1])
        return results

    if not only or "journey" in only:
        try:
            outcomes += _journeys(topology, after_first=topology_checks)
        except Exception as exc:
            outcomes.append(("journeys", (False, f"{exc}\n{traceback.format_exc(limit=6)}")))
            _report(*outcomes[-1])
    if not checked:
        if outcomes:
            _timed("a fresh demo world", reset_world)
        outcomes += topology_checks()
    passed = sum(1 for _, (ok, _) in outcomes if ok)
    if passed != len(outcomes):
        print(f"prodlike: logs in {topology.work / 'logs'} (kept: PRODLIKE_KEEP_LOGS=1)", flush=True)
        os.environ["PRODLIKE_KEEP_LOGS"] = "1"
    print(f"{passed} passed, {len(outcomes) - passed} failed", flush=True)
    return 0 if outcomes and passed == len(outcomes) else 1
