"""Browser journeys: Debian's chromium through pytest-playwright, against live_server.

A failing journey leaves a full-page screenshot and the console log of every
page it had open in ``test-results/<test>/`` and names that folder in its
report. A journey whose pages met a server error (any 5xx from the portal), an
uncaught script error or a Content-Security-Policy violation fails, however
the page looked.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# live_server runs Django's synchronous ORM in a thread while Playwright's sync
# API keeps an event loop running in the test's thread: Django would refuse
# the test's own queries as "called from an async context" without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

from journeys.browser import PASSWORD, VIEWPORT, assert_accessible, launch_args, login, watch  # noqa: E402

RESULTS = Path(os.environ.get("PORTAL_TEST_RESULTS", "test-results"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    try:
        return {**browser_type_launch_args, **launch_args()}
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)


def give_totp(user) -> str:
    from conftest import give_totp as _give

    return _give(user)


class BrowserSession:
    """The tests' ``flows.Session``: pages signed in through the real forms, an
    accessibility check at every checkpoint."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.pages: list[tuple[str, object, object]] = []  # (label, page, PageLog)
        self.checked: list[str] = []

    def _new_page(self, label: str, **context_args):
        context = self.browser.new_context(viewport=VIEWPORT, accept_downloads=True, **context_args)
        page = context.new_page()
        page.set_default_timeout(15_000)
        log = watch(page, self.base_url)
        self.pages.append((label, page, log))
        return page

    def anonymous_page(self, **context_args):
        return self._new_page(f"anonymous-{len(self.pages) + 1}", **context_args)

    def page_for(self, email: str):
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
        assert_accessible(page)
        self.checked.append(name)

    def invitation_link(self, email: str) -> str:
        from django.core import mail

        for message in reversed(mail.outbox):
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

    def save_artifacts(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for label, page, log in self.pages:
            console = folder / f"{label}-console.log"
            console.write_text(f"last URL: {page.url if not page.is_closed() else '(closed)'}\n" + log.text())
            saved.append(console)
            if not page.is_closed():
                shot = folder / f"{label}.png"
                try:
                    page.screenshot(path=str(shot), full_page=True, timeout=10_000)
                    saved.append(shot)
                    (folder / f"{label}.html").write_text(page.content())
                    saved.append(folder / f"{label}.html")
                except Exception as exc:  # a crashed page still leaves its console log
                    console.write_text(console.read_text() + f"\n[screenshot failed] {exc}\n")
        return saved

    def close(self) -> None:
        for _, page, _ in self.pages:
            try:
                page.context.close()
            except Exception:
                pass


@pytest.fixture
def journey(browser, live_server, demo, mailoutbox, settings):
    """A ``flows.Session`` on the demo world served by live_server."""
    settings.ALLOWED_HOSTS = ["*"]
    session = BrowserSession(browser, live_server.url)
    yield session
    session.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call":
        return
    session = item.funcargs.get("journey") if hasattr(item, "funcargs") else None
    if session is None:
        return
    if report.passed and session.problems():
        # The pages looked fine, but the server (or a script) failed somewhere.
        report.outcome = "failed"
        report.longrepr = "The portal misbehaved during the journey:\n" + "\n".join(session.problems())
    if report.failed:
        folder = RESULTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)
        saved = session.save_artifacts(folder)
        where = f"Screenshots, page HTML and console logs of the failed journey: {folder.resolve()}/"
        report.sections.append(("browser artifacts", where + "\n" + "\n".join(f"  {p.name}" for p in saved)))
        print("\n" + where)
