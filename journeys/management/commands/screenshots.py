"""``python manage.py screenshots``: the browser journeys on demo data, as PNGs in docs/screenshots/.

It never touches the configured database: it creates a throwaway one beside
it (Django's test-database machinery, named ``<name>_screenshots``, or a
temporary SQLite file), serves the portal from it in a thread, seeds the demo
world before each journey, drives the journeys of ``journeys/flows.py`` in
chromium and drops the database at the end. E-mail goes to memory, Celery
tasks run in process, uploads go to a temporary folder, the cache is local
memory: nothing reaches a real broker, mailbox or media store.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

JOURNEYS = ("login", "liaison", "reviewer", "admin", "model-access", "tour", "dashboards")


class Command(BaseCommand):
    help = (
        "Drive the browser journeys on demo data (in a throwaway database) with chromium and write "
        "PNG screenshots of each role's main pages to docs/screenshots/."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "screenshots"),
                            help="folder for the PNG files (default: docs/screenshots/)")
        parser.add_argument("--chromium", default=os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"),
                            help="chromium executable (default: $PORTAL_CHROMIUM or /usr/bin/chromium)")
        parser.add_argument("--journey", action="append", choices=JOURNEYS,
                            help="only this journey (repeatable; default: all)")
        parser.add_argument("--viewport-only", action="store_true", help="capture what the window shows, not whole pages")

    def handle(self, *args, output, chromium, journey, viewport_only, **options):
        full_page = not viewport_only
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise CommandError("playwright is not installed: .venv/bin/pip install -r requirements-test.txt") from None
        if not Path(chromium).exists():
            raise CommandError(f"chromium not found at {chromium}: apt-get install chromium, or pass --chromium PATH")
        # Playwright's sync API runs an event loop in this thread; the ORM calls
        # made between browser steps are synchronous and safe here.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        chosen = journey or list(JOURNEYS)

        from django.test.utils import override_settings, setup_test_environment, teardown_test_environment

        scratch = Path(tempfile.mkdtemp(prefix="portal-screenshots-"))
        setup_test_environment()  # e-mail to memory (mail.outbox)
        overrides = override_settings(
            ALLOWED_HOSTS=["localhost", "127.0.0.1"],
            DEBUG=False,
            MEDIA_ROOT=str(scratch / "media"),
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            CLAMAV_URL="",
            PORTAL_ALLOW_UNSCANNED_DOCUMENTS=True,  # a throwaway demo without clamd
            PORTAL_DEMO_MODE=False,
            PORTAL_REQUIRE_MFA=True,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        )
        overrides.enable()
        from portal.celery import app as celery_app

        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        old_name = self._create_database(scratch)
        server = None
        try:
            server = self._start_server()
            base_url = f"http://localhost:{server.port}"
            # E-mails link to the site address: here, the throwaway server.
            overrides.disable()
            overrides = override_settings(**{**overrides.options, "PORTAL_BASE_URL": base_url})
            overrides.enable()
            with sync_playwright() as pw:
                from journeys.browser import CHROMIUM_ARGS

                browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                try:
                    for name in chosen:
                        self._run(name, browser, base_url, out, full_page)
                finally:
                    browser.close()
        finally:
            if server is not None:
                server.terminate()
            self._destroy_database(old_name)
            celery_app.conf.task_always_eager = eager
            overrides.disable()
            teardown_test_environment()
            shutil.rmtree(scratch, ignore_errors=True)
        self.stdout.write(self.style.SUCCESS(f"Screenshots written to {out}/"))

    # ------------------------------------------------------------ database
    def _create_database(self, scratch: Path) -> str:
        from django.db import connections

        connection = connections["default"]
        real = connection.settings_dict["NAME"]
        if connection.vendor == "sqlite":
            throwaway = str(scratch / "screenshots.sqlite3")
        else:
            throwaway = f"{real}_screenshots"
        connection.settings_dict.setdefault("TEST", {})["NAME"] = throwaway
        self.stdout.write(f"Using a throwaway database ({throwaway}); {real} is not touched.")
        return connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)

    def _destroy_database(self, old_name: str) -> None:
        from django.db import connections

        connection = connections["default"]
        if connection.vendor == "postgresql":
            # The server thread's keep-alive request threads may still hold a connection.
            throwaway = connection.settings_dict["NAME"]
            with connection._nodb_cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    [throwaway],
                )
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)

    def _start_server(self):
        from django.db import connections
        from django.test.testcases import LiveServerThread, _StaticFilesHandler

        connections.close_all()
        server = LiveServerThread("localhost", _StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise CommandError(f"the portal did not start: {server.error}")
        return server

    def _reset(self) -> None:
        """A fresh demo world for each journey (they change it)."""
        from django.core.cache import cache

        call_command("flush", interactive=False, verbosity=0)
        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
        cache.clear()

    # ------------------------------------------------------------ journeys
    def _run(self, name, browser, base_url, out, full_page) -> None:
        from journeys import flows
        from journeys.browser import JourneySession
        from journeys.dashboards import dashboards_journey
        from journeys.tour import shared_review_tour

        command = self

        class ShotSession(JourneySession):
            def checkpoint(self, page, shot: str) -> None:
                super().checkpoint(page, shot)
                # caret="initial": hiding the caret injects a style element, which the CSP refuses.
                page.screenshot(path=str(out / f"{shot}.png"), full_page=full_page, caret="initial")
                command.stdout.write(f"  {shot}.png")

        self._reset()
        started = time.monotonic()
        self.stdout.write(f"Journey: {name}")
        session = ShotSession(browser, base_url)
        try:
            {
                "login": flows.login_page,
                "liaison": flows.liaison_journey,
                "reviewer": flows.reviewer_journey,
                "admin": flows.admin_lead_journey,
                "model-access": flows.model_access_journey,
                "tour": shared_review_tour,
                "dashboards": dashboards_journey,
            }[name](session)
            session.assert_clean()
        except AssertionError as exc:
            raise CommandError(f"the {name} journey failed: {exc}") from exc
        finally:
            session.close()
        self.stdout.write(f"  done in {time.monotonic() - started:.1f} s")
