"""Settings for the benchmark: the test settings, on a database of its own."""

from portal.settings.test import *  # noqa: F403
from portal.settings.test import DATABASES

from .db import BENCH_DB

DATABASES["default"] = {**DATABASES["default"], "NAME": BENCH_DB, "CONN_MAX_AGE": 600}
DEBUG = False
ALLOWED_HOSTS = ["*"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The test suite's N+1 detector patches the ORM; the benchmark measures without it.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "zeal"]  # noqa: F405
# The portal's URLs plus the floor page (bench/floor.py), which exists only here.
ROOT_URLCONF = "bench.urls"
