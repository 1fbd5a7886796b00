"""Settings for the benchmark: the test settings, on a database of its own."""

from portal.settings.env import get_str
from portal.settings.test import *  # noqa: F403
from portal.settings.test import CACHES, DATABASES, REDIS_URL

from .db import BENCH_DB

DATABASES["default"] = {**DATABASES["default"], "NAME": BENCH_DB, "CONN_MAX_AGE": 600}
# A Redis database and key prefix of its own, like the PostgreSQL one: the test
# suite's workers use databases 15, 14 … and clear them before every test, so a
# benchmark run beside the suite lost its cached figures (the office's charts
# recomputed on a third of its dashboards) and left them for a test to read
# (dashboard/tests/test_charts.py failed on the bench's numbers).
BENCH_REDIS_URL = get_str("BENCH_REDIS_URL", REDIS_URL.rsplit("/", 1)[0] + "/1")
CACHES = {"default": {**CACHES["default"], "LOCATION": BENCH_REDIS_URL, "KEY_PREFIX": "portal-bench"}}
CELERY_BROKER_URL = BENCH_REDIS_URL
DEBUG = False
ALLOWED_HOSTS = ["*"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The test suite's N+1 detector patches the ORM; the benchmark measures without it.
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "zeal"]  # noqa: F405
# The portal's URLs plus the floor page (bench/floor.py), which exists only here.
ROOT_URLCONF = "bench.urls"
