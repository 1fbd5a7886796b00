"""Section 508: axe-core finds no serious or critical WCAG 2.0/2.1 A/AA violation on
any page any demo role can reach, and every focus ring has 3:1 contrast (WCAG 1.4.11).

Which pages: for each demo role (one test each, so pytest-xdist spreads them),
every URL pattern of the URLconf that takes no argument (the portal's pages,
allauth's: password, MFA, sessions), every GET page of the authorization
matrix's object URLs on the role's in-scope demo objects (its object builders),
the API docs, the 404 page, and then every page linked from those (a crawl:
other reviews, sorted and paged lists; at most PER_NAME of each URL name). The
admin also gets the Django admin's main pages. An anonymous visitor's test covers
the sign-in pages, the MFA step of a sign-in, the invitation, the two-factor
setup a new user meets and the error pages. A page is reachable when it answers
200 with HTML; 302 and 404 are not (the authorization matrix tests those).

How: each page is rendered in process by Django's test client and shown to
chromium through a route (``journeys.inprocess``: no live server, the test's
transaction), then axe-core (``journeys/vendor/axe.min.js``) runs with the WCAG
tags only. A page whose DOM structure repeats one already checked (in this
test process) is counted as covered without running axe again, and axe runs
only on the parts of a page (the menus, the footer, a review's heading, a card)
whose structure was not checked on an earlier page; see
``journeys.inprocess.STRUCTURE_JS`` for why that is sound for these rules.
A failure in a shared part is reported on every page that has it.

Coverage cannot shrink unseen: every URL name the authorization matrix says a
role opens with 200 must have been reached (files excepted, and those must
answer as files), and each test names pages it must always see.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from conftest import DEMO_ROLES
from journeys.browser import AXE_PATH, PASSWORD, VIEWPORT, force_login_mfa, give_totp
from journeys.inprocess import InProcessPortal, body_of, page_parts
from reviews.tests.test_authorization_matrix import IN_SCOPE, OBJECT, PLAIN, _object

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}
# Pages of one URL name checked per role: one (the matrix's in-scope object, or the
# first link found), plus up to QUERY_VARIANTS with a query string (a sort order,
# page 2); a review's own page is checked for every review the role can open,
# since it differs most with the review's state (draft, submitted, in review, closed).
PER_NAME = 1
QUERY_VARIANTS = 2
EVERY_ONE = {"review_detail"}
# The Django admin (program admins only): its main pages, at most this many of each kind
# (index, app index, change list, add and change forms, history).
ADMIN_PER_KIND = 1
# GET URLs of the matrix that answer files, not pages (the test checks they are not HTML).
NOT_PAGES = {
    "audit_export", "export_schema", "version_download", "version_view", "finding_evidence_download", "finding_evidence_view",
    "review_report", "review_export_json", "review_oscal", "package_download",
}
# Never followed: leaving the session, and downloads.
NEVER_FOLLOW = {"account_logout", "mfa_download_recovery_codes"} | NOT_PAGES
# Pages every signed-in person must reach (the crawl fails if one drops out).
SIGNED_IN_PAGES = {
    "dashboard", "review_list", "review_detail", "notification_index", "notification_preferences",
    "account_change_password", "mfa_index", "usersessions_list", "api_token_list", "api:docs", "404",
}


@dataclass
class Crawl:
    who: str
    names: dict[str, str] = field(default_factory=dict)  # path → URL name, every reachable page
    checked: dict[str, str] = field(default_factory=dict)  # path → URL name: axe ran here
    covered: dict[str, str] = field(default_factory=dict)  # path → the checked page with its structure
    files: dict[str, str] = field(default_factory=dict)  # URL name → content type
    violations: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # path, rule, impact, target, what
    script_errors: list[str] = field(default_factory=list)

    def reachable_names(self) -> set[str]:
        return set(self.names.values())


# Structures checked in this test process: key → (page, its violations). Roles with the
# same menus (the two reviewers, leads, liaisons) share many pages' structures.
_CHECKED: dict[str, tuple[str, list[tuple[str, str, str, str]]]] = {}


def _view_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


class Crawler:
    def __init__(self, page, portal: InProcessPortal, crawl: Crawl, *, admin: bool = False):
        self.page, self.portal, self.crawl, self.admin = page, portal, crawl, admin
        self.queued: set[str] = set()
        self.per_name: dict[str, int] = {}
        self.queue: deque[tuple[str, str]] = deque()
        self.reopen = True  # the page is to be pointed at the blank page first

    def add(self, path: str, name: str | None = None) -> None:
        path = path.split("#", 1)[0]
        if path in self.queued:
            return
        name = name or _view_name(path)
        if name is None or name in NEVER_FOLLOW:
            return
        if name.startswith("admin:"):
            if not self.admin:
                return
            caps = [("admin:" + name.rsplit("_", 1)[-1], ADMIN_PER_KIND)]
        else:
            query = urlsplit(path).query
            if query:  # a page 2 and another variant (a sort order, a filter)
                caps = [(name + ("?page" if "page=" in query else "?"), QUERY_VARIANTS // 2)]
            else:
                caps = [] if name in EVERY_ONE else [(name, PER_NAME)]
        if any(self.per_name.get(key, 0) >= cap for key, cap in caps):
            return
        for key, _ in caps:
            self.per_name[key] = self.per_name.get(key, 0) + 1
        self.queued.add(path)
        self.queue.append((path, name))

    def run(self) -> None:
        while self.queue:
            self.visit(*self.queue.popleft())

    def visit(self, path: str, name: str, *, response=None, status: int = 200, follow: bool = True) -> None:
        """Renders ``path`` (or shows ``response``), checks it, queues its links."""
        response = response if response is not None else self.portal.get(path)
        if response.status_code != status:
            return  # not reachable (or, for the files, not this one)
        content_type = response.get("Content-Type", "")
        if not content_type.startswith("text/html"):
            self.crawl.files[name] = content_type
            body_of(response)  # a streamed file is read to its end (and closed)
            return
        self.crawl.names[path] = name
        if b"<html" not in body_of(response)[:2000].lower():
            # A fragment a page loads with htmx: checked inside a page shell with the
            # portal's styles (the page-level rules are the host page's).
            response = _fragment_shell(response)
        if name == "api:docs":
            # Swagger UI draws the page with its own script from the schema: a real
            # navigation (its script, the schema and the page prepared), then back to the blank page.
            # The page is the same for everyone: checked once per test process.
            self.portal.show(path, response)
            bodies = [body_of(response)]
            for extra in (path + "?script=", reverse("api:schema")):
                answer = self.portal.get(extra)
                bodies.append(body_of(answer))
                self.portal.show(extra, answer)
            same = "api:docs " + hashlib.sha256(b"\0".join(bodies)).hexdigest()
            if same in _CHECKED:
                self._record(path, same)
                return
            self.page.goto(self.portal.origin + path, wait_until="load")
            self.page.wait_for_selector(".swagger-ui .opblock", state="attached")
            self.reopen = True
        else:
            if self.reopen:
                self.portal.open(self.page)
                self.reopen = False
            # Scripts the page loads from views rather than static files (the admin's jsi18n).
            for src in re.findall(rb'<script[^>]* src="(/[^"]+)"', body_of(response)):
                src = html.unescape(src.decode())
                if not src.startswith(settings.STATIC_URL):
                    self.portal.show(src, self.portal.get(src))
            self.portal.display(self.page, path, response)
        if name == "api:docs":
            self._record(path, {"page": same, "document": same, "parts": [], "repeated_ids": True}, name)
        else:
            self._record(path, page_parts(self.page), name)
        if follow:
            self._follow_links(path)

    def _record(self, path: str, keys: dict | str, name: str = "") -> None:
        """Checks the page on screen: the parts of it not checked before (see journeys.inprocess)."""
        if isinstance(keys, str):  # the API docs seen before
            keys = {"page": keys}
        if keys["page"] in _CHECKED:
            first, found = _CHECKED[keys["page"]]
            self.crawl.covered[path] = first
            self.crawl.violations += [(f"{path} (as {first})", *v) for v in found]
            return
        whole = keys["repeated_ids"] or keys["document"] not in _CHECKED
        new = [i for i, key in enumerate(keys["parts"]) if whole or key not in _CHECKED]
        found_by_part: dict[int, list] = {i: [] for i in new}
        if whole or new:
            for v in run_axe(self.page, parts=None if whole else new):
                for node in v["nodes"]:
                    found_by_part.setdefault(node["part"], []).append(
                        (v["id"], v["impact"], node["target"], v["help"] + ": " + node["html"])
                    )
            found_by_part.setdefault(-1, []).extend(
                ("focus-ring-contrast", "serious", ring["target"], f"focus ring {ring['ratio']}:1 (needs 3:1, WCAG 1.4.11): {ring['html']}")
                for ring in weak_focus_rings(self.page)
            )
            self.crawl.checked[path] = name
        else:
            self.crawl.covered[path] = "its parts, each on an earlier page"
        # Record what was found (each part's and the document's own), and repeat what earlier pages
        # found in the parts this page shares with them.
        found = []
        if whole:
            _CHECKED[keys["document"]] = (path, found_by_part.get(-1, []))
        else:
            first, earlier = _CHECKED[keys["document"]]
            self.crawl.violations += [(f"{path} (as {first})", *v) for v in earlier if v[0] != "focus-ring-contrast"]
        for i, key in enumerate(keys["parts"]):
            if i in found_by_part:
                _CHECKED[key] = (path, found_by_part[i])
                found += found_by_part[i]
            else:
                first, earlier = _CHECKED[key]
                self.crawl.violations += [(f"{path} (as {first})", *v) for v in earlier]
        found += found_by_part.get(-1, [])
        _CHECKED[keys["page"]] = (path, found)
        self.crawl.violations += [(path, *v) for v in found]

    def _follow_links(self, path: str) -> None:
        for href in self.page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.getAttribute('href'))"):
            if href.startswith(self.portal.origin):
                href = href[len(self.portal.origin):]
            if href.startswith("?"):
                href = urlsplit(path).path + href
            if href.startswith("/") and not href.startswith("//"):
                self.add(href)


def _fragment_shell(response) -> HttpResponse:
    from django.templatetags.static import static

    shell = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fragment</title>'
        f'<link rel="stylesheet" href="{static("css/portal.css")}"></head>'
        f'<body><main class="container">{body_of(response).decode()}</main></body></html>'
    )
    return HttpResponse(shell, content_type="text/html; charset=utf-8")


def run_axe(page, parts: list[int] | None = None) -> list[dict]:
    """axe-core's serious and critical violations of the WCAG 2.0/2.1 A and AA rules in ``page``,
    or in the given parts of it (``window.__pageParts``); each node says which part it is in (-1: none).
    axe is an init script of the page's context: not subject to the page's CSP, which it keeps."""
    found = page.evaluate(
        """async ([tags, only]) => {
            const parts = window.__pageParts || [];
            const context = only === null ? document : {include: only.map(i => parts[i])};
            const r = await axe.run(context, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], elementRef: true});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                    part: parts.findIndex(p => n.element && p.contains(n.element))}))}));
        }""",
        [WCAG_TAGS, parts],
    )
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


# axe-core does not check focus indicators. This focuses each focusable element
# and compares its outline colour with what the outline is drawn on: the parent's
# background (outside the element), or the element's own (an inset outline).
FOCUS_RINGS_JS = """() => {
    const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
        const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
    const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
    const background = (el) => {
        for (let e = el; e; e = e.parentElement) {
            const s = getComputedStyle(e);
            if (s.backgroundImage !== 'none') return null;  // an image or gradient: not judged here
            const c = parse(s.backgroundColor);
            if (c && c.a === 1) return c;
        }
        return {r: 255, g: 255, b: 255, a: 1};
    };
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.classList.length ? '.' + Array.from(el.classList).join('.') : '');
    const weak = [], seen = new Set();
    const focusable = document.querySelectorAll('a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), ' +
        'select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])');
    // One element of each kind (its classes, its parent's classes, the background under its
    // ring): the stylesheet gives the others the same ring. Kinds seen on an earlier page of
    // the crawl (the window outlives the pages written into it) are not focused again.
    const kinds = window.__focusRingKinds || (window.__focusRingKinds = new Set());
    for (const el of focusable) {
        if (!el.getClientRects().length) continue;
        const kind = name(el).replace(/#[^.]*/, '') + '<' + (el.parentElement ? name(el.parentElement).replace(/#[^.]*/, '') : '') +
            JSON.stringify(background(el.parentElement || el)) + JSON.stringify(background(el));
        if (kinds.has(kind)) continue;
        kinds.add(kind);
        el.focus({preventScroll: true});
        if (document.activeElement !== el) continue;
        const s = getComputedStyle(el);
        if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) === 0) continue;  // box-shadow rings: not judged here
        const ring = parse(s.outlineColor);
        const under = background(parseFloat(s.outlineOffset) < 0 ? el : el.parentElement);
        if (!ring || ring.a < 1 || !under) continue;
        const [hi, lo] = [lum(ring), lum(under)].sort((x, y) => y - x);
        const ratio = Math.round((hi + 0.05) / (lo + 0.05) * 100) / 100;
        const key = name(el) + s.outlineColor + JSON.stringify(under);
        if (ratio < 3 && !seen.has(key)) {
            seen.add(key);
            const where = el.parentElement ? name(el.parentElement) + ' > ' : '';
            weak.push({target: where + name(el), ratio, html: el.outerHTML.slice(0, 120)});
        }
    }
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    return weak;
}"""


def weak_focus_rings(page) -> list[dict]:
    return page.evaluate(FOCUS_RINGS_JS)


def _argumentless_get_names():
    """(URL name, path) of the URL patterns that take no argument: the portal's, allauth's,
    the API docs; not the REST API's endpoints nor the admin (crawled from its index)."""

    def walk(resolver, namespace=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, ":".join(p for p in (namespace, entry.namespace or "") if p))
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}:{entry.name}" if namespace else entry.name

    for name in walk(get_resolver()):
        if name.startswith("admin:") or (name.startswith("api:") and name != "api:docs"):
            continue
        try:
            yield name, reverse(name)
        except NoReverseMatch:
            continue  # takes arguments


def _matrix_pages(role: str) -> set[str]:
    """URL names the authorization matrix says ``role`` opens with GET and 200 (pages and files)."""
    names = {n for n, (method, by_role, default) in PLAIN.items() if method == "GET" and by_role.get(role, default) == 200}
    names |= {n for n, (_, method, _, expected) in OBJECT.items() if method == "GET" and expected.get(role) == 200}
    return names


def _descendants_cpu() -> float:
    """CPU seconds used so far by this process's children (Playwright's driver, chromium)."""
    pids, children = {os.getpid()}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime + stime, and cutime + cstime: what its reaped children used (chromium's
            # zygote reaps the renderers of closed pages).
            children.setdefault(int(fields[1]), []).append((int(entry), sum(int(x) for x in fields[11:15])))
    total, todo = 0, [os.getpid()]
    while todo:
        for pid, ticks in children.get(todo.pop(), []):
            if pid not in pids:
                pids.add(pid)
                total += ticks
                todo.append(pid)
    return total / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def crawler_for(browser):
    """``crawler_for(client, who)``: a Crawler over a fresh page; prints what it did at the end."""
    made = []

    def make(client, who, *, admin=False):
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(path=str(AXE_PATH))
        page = context.new_page()
        page.set_default_timeout(15_000)
        crawl = Crawl(who)
        page.on("pageerror", lambda exc: crawl.script_errors.append(f"{page.url}: {exc}"))
        # A CSP violation fails too (the page carries the portal's policy), except in the Django
        # admin, whose own templates use inline styles the policy blocks (its look, not its use).
        page.on(
            "console",
            lambda msg: crawl.script_errors.append(f"{page.url}: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text and "/admin/" not in page.url else None,
        )
        portal = InProcessPortal(client)
        crawler = Crawler(page, portal, crawl, admin=admin)
        made.append((context, crawl, portal))
        return crawler

    started, cpu, browser_cpu = time.monotonic(), time.process_time(), _descendants_cpu()
    yield make
    for context, crawl, portal in made:
        context.close()
        portal.close()
        print(
            f"\n[a11y] {crawl.who}: {len(crawl.names)} pages reached ({len(crawl.reachable_names())} URL names); "
            f"axe ran on {len(crawl.checked)}, {len(crawl.covered)} repeated a checked structure; "
            f"{time.monotonic() - started:.1f} s, CPU {time.process_time() - cpu:.1f} s in Python + "
            f"{_descendants_cpu() - browser_cpu:.1f} s in the browser"
            + (f"; not prepared: {portal.unprepared}" if portal.unprepared else "")
        )


def _assert_clean(crawl: Crawl) -> None:
    if crawl.violations:
        by_page_rule: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for path, rule, impact, target, what in crawl.violations:
            by_page_rule.setdefault((path, rule), []).append((impact, target, what))
        lines = [f"{len(by_page_rule)} serious/critical accessibility violation(s) (page × rule) for {crawl.who}:"]
        for (path, rule), nodes in by_page_rule.items():
            impact, _, what = nodes[0]
            lines.append(f"- {path} [{impact}] {rule}: {what.split(': ', 1)[0]} ({len(nodes)} element(s))")
            for _, target, node_what in nodes[:6]:
                lines.append(f"    at {target}   {node_what.split(': ', 1)[-1][:140]}")
            if len(nodes) > 6:
                lines.append(f"    … and {len(nodes) - 6} more")
        raise AssertionError("\n".join(lines))
    assert not crawl.script_errors, f"script errors or CSP violations in the crawled pages: {crawl.script_errors}"


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_every_page_a_role_reaches_passes_axe(demo, crawler_for, role):
    user = demo[role]
    user.set_password(PASSWORD)  # people sign in with one: the password-change page is theirs
    user.save(update_fields=["password"])
    client = Client()
    force_login_mfa(client, user)
    crawler = crawler_for(client, role, admin=role == "admin")
    crawl = crawler.crawl

    agency_side = role.startswith(("lead", "reviewer"))
    if agency_side:
        # A review whose access terms this person has not accepted shows the terms instead.
        review = demo["atlas"] if user.membership.agency == demo["nsa"] else demo["helix"]
        crawler.visit(reverse("review_detail", kwargs={"pk": review.pk}), "review_detail", follow=False)
    files = []
    # The matrix's in-scope object of each kind (its builders accept terms where material needs them).
    for name, (kind, method, extra, expected) in sorted(OBJECT.items()):
        if method == "GET" and expected.get(role) == 200:
            obj = _object(demo, role, kind, IN_SCOPE)
            path = reverse(name, kwargs={"pk": obj.pk, **extra})
            (files.append((path, name)) if name in NOT_PAGES else crawler.add(path, name))
    if agency_side:
        from reviews.models import Review
        from reviews.services import terms_accept

        for review in Review.objects.filter(agencies=user.membership.agency):
            terms_accept(review=review, user=user)
    for name, path in _argumentless_get_names():
        (files.append((path, name)) if name in NOT_PAGES else crawler.add(path, name))
    if role == "admin":
        crawler.add(reverse("admin:index"))
    crawler.run()
    crawler.visit("/no-such-page/", "404", status=404, follow=False)
    _assert_clean(crawl)

    for path, name in files:  # answered as files (asserted below), never shown
        crawler.visit(path, name, follow=False)
    # Coverage: every page the matrix says this role opens was reached and checked…
    missing = _matrix_pages(role) - NOT_PAGES - crawl.reachable_names()
    assert not missing, f"{role}: pages of the authorization matrix the crawl did not reach: {sorted(missing)}"
    # … the files are files (a page listed there would escape the check) …
    reached_files = {name for name in crawl.files if name in NOT_PAGES}
    assert reached_files == _matrix_pages(role) & NOT_PAGES, (role, sorted(reached_files))
    # … and the pages everyone has are there.
    assert SIGNED_IN_PAGES <= crawl.reachable_names(), sorted(SIGNED_IN_PAGES - crawl.reachable_names())
    if role == "admin":
        assert {"admin:index", "audit_index", "sso_provider_list"} <= crawl.reachable_names()
        assert sum(n.startswith("admin:") for n in crawl.reachable_names()) >= 4, sorted(crawl.reachable_names())
    if agency_side:
        assert crawl.covered or crawl.checked  # the terms page counted among the checked


def test_every_page_a_visitor_reaches_passes_axe(demo, crawler_for, settings):
    from accounts.models import Role
    from accounts.services import invitation_create

    # Signed out: the sign-in pages and what they link to.
    crawler = crawler_for(Client(), "anonymous visitor")
    for name, path in _argumentless_get_names():
        crawler.add(path, name)
    crawler.run()
    crawler.visit("/no-such-page/", "404", status=404, follow=False)
    # An invitation link, as its e-mail sends it.
    _, token = invitation_create(
        inviter=demo["admin"], email="new.person@agency.example", role=Role.AGENCY_REVIEWER, agency_id=demo["nsa"].pk,
        full_name="New Person",
    )
    crawler.visit(reverse("invitation_accept", kwargs={"token": token}), "invitation_accept", follow=False)
    crawler.visit(reverse("invitation_accept", kwargs={"token": "not-a-token"}), "invitation_invalid", status=410, follow=False)
    # The error pages the portal renders itself.
    request = RequestFactory().get("/somewhere/")
    from django.views import defaults
    from django.views.csrf import csrf_failure

    from portal.middleware import service_unavailable, took_too_long

    for name, view, status in [
        ("400", lambda r: defaults.bad_request(r, None), 400),
        ("403", lambda r: defaults.permission_denied(r, None), 403),
        ("403_csrf", lambda r: csrf_failure(r, reason="test"), 403),
        ("500", defaults.server_error, 500),
        ("503", service_unavailable, 503),
        ("503_timeout", took_too_long, 503),
    ]:
        crawler.visit(f"/error-{name}/", name, response=view(request), status=status, follow=False)
    crawl = crawler.crawl
    _assert_clean(crawl)
    assert {
        "account_login", "account_reset_password", "account_signup", "sso_start", "404", "400", "403",
        "403_csrf", "500", "503", "503_timeout", "invitation_accept", "invitation_invalid",
    } <= crawl.reachable_names(), sorted(crawl.reachable_names())

    # Half signed in: the password was right, the second factor is asked (same browser page, another client).
    user = demo["reviewer_nsa"]
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    give_totp(user)
    client = Client()
    answer = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert answer["Location"] == reverse("mfa_authenticate"), answer
    crawler.portal.client = client
    crawler.visit(reverse("mfa_authenticate"), "mfa_authenticate", follow=False)
    # A new person without an authenticator: the two-factor setup the portal sends them to.
    from accounts.tests.factories import make_user

    newcomer = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"], email="no.mfa.yet@agency.example")
    client = Client()
    client.force_login(newcomer, backend="accounts.backends.PortalAuthenticationBackend")
    crawler.portal.client = client
    crawler.visit(reverse("mfa_activate_totp"), "mfa_activate_totp", follow=False)
    _assert_clean(crawl)
    assert {"mfa_authenticate", "mfa_activate_totp"} <= crawl.reachable_names(), sorted(crawl.reachable_names())


def test_structure_key_ignores_wording_and_repeats_not_styles(browser):
    """The shortcut that counts a repeated structure as checked: what may differ and what may not."""
    from journeys.inprocess import structure_key

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()

    def key(body: str) -> str:
        page.set_content(f'<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>{body}</body></html>')
        return structure_key(page)

    row = '<tr id="row-{n}"><td><a href="/reviews/{n}/">Review {n}</a></td></tr>'
    base = key("<table>" + row.format(n=1) + row.format(n=2) + "</table>")
    try:
        # Other words, other links and ids, more rows of the same shape: the same structure.
        assert key("<table>" + "".join(row.format(n=n) for n in (7, 8, 9)) + "</table>") == base
        # A class, an inline style, a text becoming empty or only a symbol, a broken
        # label reference, a repeated id: each a different structure.
        assert key('<table class="muted">' + row.format(n=1) + "</table>") != base
        assert key('<table style="color: #999">' + row.format(n=1) + "</table>") != base
        assert key('<table><tr id="row-1"><td><a href="/reviews/1/"></a></td></tr></table>') != base
        assert key('<table><tr id="row-1"><td><a href="/reviews/1/">›</a></td></tr></table>') != base
        assert key('<label for="a">A</label><input id="a">') != key('<label for="b">A</label><input id="a">')
        assert key("<table>" + row.format(n=1) + row.format(n=1) + "</table>") != base
    finally:
        context.close()
