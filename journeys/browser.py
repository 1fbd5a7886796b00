"""What the browser journeys do in a page, shared by the tests and ``manage.py screenshots``.

Nothing here knows about pytest: a failed expectation is an ``AssertionError``
(Playwright's ``expect`` raises the same), so the screenshots command stops
on the same broken step a test would fail on.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_PATH = Path(__file__).parent / "vendor" / "axe.min.js"
PASSWORD = "journey-Passw0rd-2026"  # noqa: S105 - set on throwaway databases only
VIEWPORT = {"width": 1280, "height": 900}


def launch_args(executable: str | None = None) -> dict:
    """Arguments for ``browser_type.launch``: Debian's chromium, never a downloaded one."""
    path = executable or CHROMIUM
    if not Path(path).exists():
        raise FileNotFoundError(f"chromium not found at {path}; install it (apt-get install chromium) or set PORTAL_CHROMIUM")
    return {"executable_path": path, "args": CHROMIUM_ARGS}


@dataclass
class PageLog:
    """What a page told us besides its content: console lines, script errors, server errors."""

    base_url: str
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"server error: {e}" for e in self.server_errors]
            + [f"script error: {e}" for e in self.page_errors]
            + [f"CSP violation: {e}" for e in self.csp_violations]
        )

    def text(self) -> str:
        lines = list(self.console)
        lines += [f"[pageerror] {e}" for e in self.page_errors]
        lines += [f"[server error] {e}" for e in self.server_errors]
        return "\n".join(lines) + "\n"


def watch(page, base_url: str) -> PageLog:
    """Records the page's console, uncaught errors and every 5xx answer from the portal."""
    log = PageLog(base_url=base_url)

    def on_console(msg):
        log.console.append(f"[{msg.type}] {msg.text}")
        if msg.type == "error" and "Content Security Policy" in msg.text:
            log.csp_violations.append(msg.text)

    def on_response(response):
        if response.status >= 500 and response.url.startswith(base_url):
            log.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on("response", on_response)
    # Forms that ask "are you sure?" (data-confirm) are answered yes, as the user would.
    page.on("dialog", lambda dialog: dialog.accept())
    return log


# --------------------------------------------------------------------- TOTP

_used_codes: set[tuple[str, int]] = set()


def fresh_totp(secret: str) -> str:
    """The authenticator's current code, waiting for the next 30-second step when
    this code was already spent (the portal refuses a used code a second time)
    or when the step ends in less than 5 s: the portal accepts the current step's
    code only, and a loaded machine can take that long between typing and the
    server checking it."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    while True:
        if 30 - time.time() % 30 < 5:
            time.sleep(30 - time.time() % 30 + 0.2)
        counter = int(time.time()) // 30
        if (secret, counter) not in _used_codes:
            _used_codes.add((secret, counter))
            return format_hotp_value(hotp_value(secret, counter))
        time.sleep(30 - time.time() % 30 + 0.2)


def login(page, base_url: str, *, email: str, password: str, secret: str) -> None:
    """Signs in through the real form: e-mail and password, then the TOTP code."""
    from playwright.sync_api import expect

    page.goto(base_url + "/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    page.get_by_label("Authenticator or recovery code").fill(fresh_totp(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.locator("form[action$='/accounts/logout/'] button")).to_be_attached()


# ----------------------------------------------------------- accessibility

_axe_source: str | None = None


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Runs axe-core in the page and returns its violations of the given impacts.

    The portal's Content-Security-Policy allows no injected ``<script>``, so
    ``page.add_script_tag`` would be refused; ``page.evaluate`` goes through the
    DevTools protocol, which CSP does not govern, so the page under test keeps
    its real policy (no ``bypass_csp`` context that could hide a CSP bug).
    """
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_PATH.read_text(encoding="utf-8")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source + "\n;undefined")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary, html: n.html.slice(0, 200)})),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} serious or critical violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node['html']}")
            for hint in (node["summary"] or "").splitlines():
                lines.append(f"      {hint}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    if violations:
        raise AssertionError(format_violations(page.url, violations))


# ---------------------------------------------------------------- keyboard

def tab_to(page, selector: str, *, max_tabs: int = 80, backwards: bool = False) -> None:
    """Presses Tab (or Shift+Tab) until the element ``selector`` (a Playwright
    selector, e.g. ``button:has-text('Save')``) has focus, then checks that the
    focus is visible."""
    key = "Shift+Tab" if backwards else "Tab"
    target = page.locator(selector).first
    for _ in range(max_tabs):
        if target.evaluate("el => el === document.activeElement"):
            assert_focus_visible(page)
            return
        page.keyboard.press(key)
    raise AssertionError(f"{selector} was not reached with {max_tabs} presses of {key} on {page.url}")


def choose_with_keyboard(page, selector: str, option_text: str) -> None:
    """With focus on a ``<select>``, presses ArrowDown until the option containing
    ``option_text`` is chosen (as a keyboard user does on a closed select)."""
    select = page.locator(selector)
    wanted = select.locator("option", has_text=option_text).first.get_attribute("value")
    for _ in range(select.locator("option").count() + 1):
        if select.input_value() == wanted:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"could not choose {option_text!r} in {selector} with the arrow keys")


def assert_focus_visible(page) -> None:
    """The focused element shows a visible focus indicator (outline or box-shadow)."""
    state = page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return {ok: false, what: 'nothing has focus'};
            const s = getComputedStyle(el);
            const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
            const shadow = s.boxShadow && s.boxShadow !== 'none';
            return {ok: outline || shadow, what: el.outerHTML.slice(0, 120)};
        }"""
    )
    if not state["ok"]:
        raise AssertionError(f"focus is not visible on {state['what']} ({page.url})")


# ------------------------------------------------------------ drag and drop

def drop_files(page, selector: str, files: list[tuple[str, bytes, str]]) -> None:
    """Drops files on an element as a user dragging them from the desktop would."""
    payload = [{"name": n, "b64": base64.b64encode(b).decode(), "type": t} for n, b, t in files]
    transfer = page.evaluate_handle(
        """(files) => {
            const dt = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.b64), c => c.charCodeAt(0));
                dt.items.add(new File([bytes], f.name, {type: f.type}));
            }
            return dt;
        }""",
        payload,
    )
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def give_totp(user) -> str:
    """Enrols ``user`` in TOTP (as the setup page would) and returns the base32 secret."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from allauth.mfa.utils import decrypt

    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing:
        return decrypt(existing.data["secret"])
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def recovery_code(user) -> str:
    """An unused recovery code of ``user``, enrolling them in recovery codes
    first if they have none (the TOTP setup page offers them). For a second
    factor asked again soon after signing in (re-authentication, step-up): the
    TOTP code of that 30-second step is spent, the portal refuses it twice,
    and ``fresh_totp`` would wait up to 30 s for the next step."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
    codes = existing.wrap() if existing else RecoveryCodes.activate(user)
    return codes.get_unused_codes()[0]


def force_login_mfa(client, user) -> None:
    """Signs ``user`` in on a Django test ``client`` as if they had passed a TOTP code at sign-in.

    ``force_login`` alone makes a password-only session, which the portal sends
    to its MFA step (MFA belongs to the session: accounts.assurance). This adds
    the records allauth's real sign-in (password, then a TOTP code) leaves in the
    session, so the session is MFA-verified and freshly authenticated (step-up).
    """
    import time as _time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator

    give_totp(user)
    client.force_login(user, backend="accounts.backends.PortalAuthenticationBackend")
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    now = _time.time()
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": totp.pk, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


class JourneySession:
    """A ``flows.Session`` over a running portal at ``base_url``: one browser
    context per person, signed in through the real forms. Subclasses decide
    what a checkpoint does (the tests check accessibility, the screenshots
    command takes a picture)."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.pages: list[tuple[str, object, PageLog]] = []
        self.checked: list[str] = []

    def _new_page(self, label: str, **context_args):
        context = self.browser.new_context(viewport=VIEWPORT, accept_downloads=True, **context_args)
        page = context.new_page()
        page.set_default_timeout(15_000)
        self.pages.append((label, page, watch(page, self.base_url)))
        return page

    def anonymous_page(self, **context_args):
        return self._new_page(f"anonymous-{len(self.pages) + 1}", **context_args)

    def page_for(self, email: str):
        """A new context signed in as ``email`` with password and TOTP (both set here)."""
        from accounts.models import User

        user = User.objects.get(email=email)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        secret = give_totp(user)
        page = self._new_page(email.split("@")[0])
        login(page, self.base_url, email=email, password=PASSWORD, secret=secret)
        return page

    def checkpoint(self, page, name: str) -> None:
        page.wait_for_load_state("load")
        self.assert_clean()
        self.checked.append(name)

    def invitation_link(self, email: str) -> str:
        """The link of the invitation e-mail last sent to ``email`` (locmem outbox)."""
        import re

        from django.core import mail

        for message in reversed(getattr(mail, "outbox", [])):
            if email in message.to:
                found = re.search(r"https?://\S+/invite/[^/\s]+/", message.body)
                if found:
                    return found.group(0)
        raise AssertionError(f"no invitation e-mail with a link was sent to {email}")

    def problems(self) -> list[str]:
        return [f"{label}: {p}" for label, _, log in self.pages for p in log.problems()]

    def assert_clean(self) -> None:
        problems = self.problems()
        if problems:
            raise AssertionError("The portal misbehaved during the journey:\n" + "\n".join(problems))

    def close(self) -> None:
        for _, page, _ in self.pages:
            try:
                page.context.close()
            except Exception:  # noqa: S110 - a crashed context is closed already
                pass
        self.pages.clear()
