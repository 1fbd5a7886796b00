"""Browser journeys: Debian's chromium through pytest-playwright, against live_server.

A failing journey leaves a full-page screenshot, the page's HTML and the
console log of every page it had open in ``test-results/<test>/`` and names
that folder in its report. A journey whose pages met a server error (any 5xx
from the portal), an uncaught script error or a Content-Security-Policy
violation fails, however the page looked.
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

from journeys.browser import JourneySession, assert_accessible, launch_args  # noqa: E402

RESULTS = Path(os.environ.get("PORTAL_TEST_RESULTS", "test-results"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    try:
        return {**browser_type_launch_args, **launch_args()}
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)


class CheckedSession(JourneySession):
    """Every checkpoint is also an accessibility check (axe-core: no serious or critical violation)."""

    def checkpoint(self, page, name: str) -> None:
        super().checkpoint(page, name)
        assert_accessible(page)

    def save_artifacts(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for label, page, log in self.pages:
            console = folder / f"{label}-console.log"
            console.write_text(f"last URL: {'(closed)' if page.is_closed() else page.url}\n" + log.text())
            saved.append(console)
            if page.is_closed():
                continue
            try:
                page.screenshot(path=str(folder / f"{label}.png"), full_page=True, timeout=10_000)
                (folder / f"{label}.html").write_text(page.content())
                saved += [folder / f"{label}.png", folder / f"{label}.html"]
            except Exception as exc:  # a crashed page still leaves its console log
                console.write_text(console.read_text() + f"\n[screenshot failed] {exc}\n")
        return saved


@pytest.fixture
def journey(browser, live_server, demo, mailoutbox, settings):
    """A ``flows.Session`` on the demo world served by live_server."""
    settings.ALLOWED_HOSTS = ["*"]
    # E-mails link to the configured site address; here that is the live server.
    settings.PORTAL_BASE_URL = live_server.url
    session = CheckedSession(browser, live_server.url)
    yield session
    session.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call":
        return
    session = getattr(item, "funcargs", {}).get("journey")
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
