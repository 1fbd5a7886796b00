"""Pages rendered in process (Django's test client) shown to chromium without the portal's server.

The accessibility crawl (``journeys/tests/test_accessibility.py``) needs each
page as a browser lays it out (colours, focus styles, Swagger UI's script) but
not a running portal: the test renders each page with the test client in its
own thread and transaction, and a byte server hands it, and the static files,
to chromium. That saves ``live_server`` (a thread, a flushed database and a
fresh demo world per test).
"""

from __future__ import annotations

import hashlib
import mimetypes
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

# The DOM's structure as axe sees it, as one string (hashed in Python). Two pages
# with the same string have the same elements in the same nesting with the same
# classes, inline styles, roles, ARIA and other attributes, and text in the same
# places; they differ in what the text says, where links point, which numbers
# their ids carry and how often a row repeats. For the rules the crawl runs
# (WCAG 2.0/2.1 A and AA) that gives the same verdicts:
# - colour contrast depends on the styles (tag, classes, inline style, nesting)
#   and on whether a node has text, not on its wording. Text is classed as
#   letters/digits ("T") or symbols only ("S", e.g. "›"), which axe treats apart;
# - names and labels: a content attribute (href, title, alt, aria-label…) counts
#   as "empty or not", which is what the name rules ask;
# - ids and id references (for, aria-labelledby, headers…) count by whether each
#   reference finds its element and whether any id repeats on the page, not by
#   the number in them (row-12 and row-13 are alike);
# - a run of identical sibling subtrees (table rows, list items) counts once: a
#   rule that passes on one such row passes on its copies.
# What the shortcut could miss is a layout-dependent overlap (a longer word
# wrapping onto another background); the portal's cards and tables do not
# overlap text. A page that repeats a checked structure is counted as covered.
#
# The same holds for a part of a page (``page_parts``): each child of <body>
# and of <main> (the header, the menus, the footer, a review's heading and tabs,
# a card) is keyed by its own structure and by the elements around it (tags and
# attributes of its ancestors, which give it its background and its role in
# lists and tables); the document itself (<html>'s attributes, <head>) by its
# own key. A page whose parts were all checked is covered; otherwise axe runs on
# its new parts only, or on the whole page when its document key is new (the
# rules about the page as a whole: language, title, a way to skip the menus)
# or when an id repeats (the id rules compare the whole page).
CONTENT_ATTRIBUTES = [
    "href", "action", "src", "srcset", "value", "datetime", "title", "alt", "aria-label", "placeholder",
    "content", "download", "data-url", "data-confirm", "cite", "data-schema-url", "nonce", "hx-get", "hx-post",
    "aria-valuenow", "aria-valuetext", "min", "max", "hx-headers", "hx-vals",
]
IDREF_ATTRIBUTES = ["for", "aria-labelledby", "aria-describedby", "aria-controls", "aria-owns", "headers", "list", "form"]
STRUCTURE_JS = """([contentAttributes, idrefAttributes]) => {
    const reduce = new Set(contentAttributes);
    const idrefs = new Set(idrefAttributes);
    const numbered = (name) => name === 'id' || name === 'name' || name.startsWith('aria-') || name.startsWith('data-');
    const ids = new Map();
    for (const el of document.querySelectorAll('[id]')) ids.set(el.id, (ids.get(el.id) || 0) + 1);
    const repeatedIds = [...ids.values()].some(n => n > 1);
    const sig = (el) => {
        let s = '<' + el.tagName;
        for (const a of Array.from(el.attributes).sort((x, y) => x.name < y.name ? -1 : 1)) {
            let v = a.value;
            if (reduce.has(a.name)) v = v.trim() ? '+' : '-';
            else if (idrefs.has(a.name)) v = v.trim().split(/\\s+/).every(id => ids.has(id)) ? 'ok' : 'broken';
            else if (numbered(a.name)) v = v.replace(/[0-9]+/g, '#');
            s += ' ' + a.name + '=' + v;
        }
        const kids = [];
        for (const n of el.childNodes) {
            let k = null;
            if (n.nodeType === Node.ELEMENT_NODE) k = sig(n);
            else if (n.nodeType === Node.TEXT_NODE && n.data.trim()) k = /[\\p{L}\\p{N}]/u.test(n.data) ? 'T' : 'S';
            if (k !== null && k !== kids[kids.length - 1]) kids.push(k);
        }
        return s + '>' + kids.join('') + '</>';
    };
    const own = (el) => sig(el.cloneNode(false));
    const around = (el) => { let s = ''; for (let e = el.parentElement; e; e = e.parentElement) s = own(e) + s; return s; };
    const parts = [];
    for (const child of document.body.children) {
        if (child.tagName === 'MAIN') parts.push(...child.children);
        else if (child.tagName !== 'SCRIPT') parts.push(child);
    }
    window.__pageParts = parts;
    return {
        page: (repeatedIds ? 'repeated-ids ' : '') + sig(document.documentElement),
        repeatedIds,
        document: own(document.documentElement) + sig(document.head) + own(document.body) + parts.length,
        parts: parts.map(el => around(el) + sig(el)),
    };
}"""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def page_parts(page) -> dict:
    """The page's structure keys: ``page`` (the whole DOM), ``document`` (<html> and <head>),
    ``parts`` (one per child of <body> and of <main>, in order; the elements are kept in the
    page as ``window.__pageParts``) and ``repeated_ids``."""
    found = page.evaluate(STRUCTURE_JS, [CONTENT_ATTRIBUTES, IDREF_ATTRIBUTES])
    return {
        "page": _digest(found["page"]),
        "document": _digest(found["document"]),
        "parts": [_digest(p) for p in found["parts"]],
        "repeated_ids": found["repeatedIds"],
    }


def structure_key(page) -> str:
    """A hash of the page's whole DOM structure (see STRUCTURE_JS)."""
    return page_parts(page)["page"]


class InProcessPortal:
    """Shows chromium pages that Django's test client rendered in the test's own thread.

    A small HTTP server (a thread that only hands out bytes, never touches
    Django or the database) answers chromium at ``origin`` with the responses
    the test prepared (``show``) and with the static files from disk, marked
    cacheable so that chromium loads the stylesheet and scripts once per crawl.
    No Playwright routing: it would disable chromium's cache and send every
    file through the driver. A request nothing was prepared for answers 404
    and is listed in ``unprepared``.
    """

    def __init__(self, client):
        import threading
        from http.server import ThreadingHTTPServer

        self.client = client
        self._prepared: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}
        self._static: dict[str, tuple[bytes, str] | None] = {}
        self.unprepared: list[str] = []
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - the http.server API
                status, headers, body = portal.answer(self.path)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def get(self, path: str):
        """The test client's answer to GET ``path`` (in the test's thread and transaction)."""
        return self.client.get(path)

    def show(self, path: str, response) -> None:
        """Chromium's GET of ``path`` is answered with ``response`` (rendered by the test)."""
        headers = [(k, v) for k, v in response.items() if k.lower() not in ("set-cookie", "content-length")]
        self._prepared[path] = (response.status_code, headers, body_of(response))

    BLANK = "/__crawl__/"

    def open(self, page) -> None:
        """Points ``page`` at a blank page of this server; ``display`` then shows pages in it."""
        self._prepared[self.BLANK] = (200, [("Content-Type", "text/html; charset=utf-8")], b"<!DOCTYPE html><title>-</title>")
        page.goto(self.origin + self.BLANK)

    def display(self, page, path: str, response) -> None:
        """Shows ``response`` (rendered by the test for ``path``) in ``page`` without a navigation.

        A navigation costs chromium a new document and often a new renderer
        (about 0.1 s of CPU); writing the page into the open document costs a
        fifth of that and keeps the window (and axe-core in it). What a
        navigation would give the page is given here: its address
        (history.replaceState, so links and forms resolve as they would) and its
        Content-Security-Policy, as a <meta> element first in <head> (the
        directives a <meta> cannot carry are left out: they govern framing and
        reporting, nothing in the page).
        """
        html = body_of(response).decode(response.charset or "utf-8")
        policy = "; ".join(
            d.strip() for d in response.get("Content-Security-Policy", "").split(";")
            if d.strip() and d.split()[0] not in ("frame-ancestors", "report-uri", "report-to", "sandbox")
        )
        if policy:
            meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
            head = html.lower().find("<head>")
            html = html[: head + 6] + meta + html[head + 6 :] if head >= 0 else meta + html
        page.evaluate("path => history.replaceState(null, '', path)", path)
        page.set_content(html, wait_until="load")

    def answer(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        from django.conf import settings

        if path in self._prepared:
            return self._prepared[path]
        if path.startswith(settings.STATIC_URL):
            found = self.static_file(urlsplit(path).path[len(settings.STATIC_URL):])
            if found is not None:
                body, content_type = found
                return 200, [("Content-Type", content_type), ("Cache-Control", "max-age=3600")], body
        self.unprepared.append(path)
        return 404, [("Content-Type", "text/plain")], b"not prepared by the test"

    def static_file(self, relative: str) -> tuple[bytes, str] | None:
        if relative not in self._static:
            from django.contrib.staticfiles import finders

            found = finders.find(relative)
            if found is None:
                self._static[relative] = None
            else:
                content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
                self._static[relative] = (Path(found).read_bytes(), content_type)
        return self._static[relative]


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content
