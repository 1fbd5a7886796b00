"""Redis down is a clear, closed door (issue 15, item 5): sign-in and the API's
throttling, which need the shared cache, refuse with 503 "try again shortly" —
never a 500, never let through — and work again when Redis is back.

A real redis-server is started on a port of its own and stopped mid-test.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import make_user
from audit.models import AuditEvent
from notifications.tests.support import free_port

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def _start(port: int) -> subprocess.Popen:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:  # another server on the port answers, not ours
            pytest.fail(f"redis-server exited at start on port {port} (exit code {proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail(f"redis-server did not start on port {port}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def own_redis(settings):
    """The cache pointed at a redis-server of the test's own; yields a controller."""
    # Not a fixed port: both tests of this module may run at once on two xdist
    # workers, and the second redis-server would fail to bind while its test
    # talked to (and outlived) the first's.
    port = free_port()
    proc = _start(port)
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    class Controller:
        process = proc

        def stop(self):
            _stop(self.process)

        def start(self):
            self.process = _start(port)

    controller = Controller()
    yield controller
    if controller.process.poll() is None:
        _stop(controller.process)


def test_login_during_a_redis_outage_answers_503_and_recovers(own_redis, client):
    user = make_user(password=PASSWORD)
    form = {"login": user.email, "password": PASSWORD}
    assert client.post(reverse("account_login"), form).status_code == 302  # on to the MFA step
    client.cookies.clear()
    logins = AuditEvent.objects.filter(action="auth.login").count()

    own_redis.stop()
    response = client.post(reverse("account_login"), form)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Temporarily unavailable" in page and "Try again shortly" in page
    assert "Traceback" not in page and "ConnectionError" not in page
    assert "_auth_user_id" not in client.session  # closed: nobody signed in without the rate limit
    assert AuditEvent.objects.filter(action="auth.login").count() == logins

    own_redis.start()
    assert client.post(reverse("account_login"), form).status_code == 302


def test_api_throttling_during_a_redis_outage_answers_503_in_the_api_format(own_redis, demo):
    from api.services import token_create

    _, plain = token_create(user=demo["admin"], name="ci")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api.get("/api/v1/agencies/").status_code == 200

    own_redis.stop()
    response = api.get("/api/v1/agencies/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": [
            {"field": None, "code": "service_unavailable", "message": "The portal is temporarily unavailable; try again shortly."}
        ]
    }
    own_redis.start()
    assert api.get("/api/v1/agencies/").status_code == 200


def test_the_cache_keeps_one_client_through_a_redis_restart(own_redis):
    """portal.cache keeps one redis-py client per pool: it must fail while Redis
    is down (callers catch it and carry on without the cache) and work again,
    the same client, once Redis is back — never stuck on a dead connection."""
    import redis
    from django.core.cache import cache

    cache.set("kept", "before", 60)
    client = cache._cache.get_client()
    own_redis.stop()
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("kept")
    own_redis.start()
    assert cache.get("kept") is None  # a new, empty server: nothing read from a stale connection
    cache.set("kept", "after", 60)
    assert cache.get("kept") == "after"
    assert cache._cache.get_client() is client
