"""Schemathesis against /api/schema/, in process (WSGI), on the seeded demo database.

Every operation gets a bounded number of generated requests (positive and
negative data) with a program admin's token (who sees everything) and with a
liaison's (who may write); no response may be a server error or break the
schema (status codes, body), errors included.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 8
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _run(schema, headers):
    failures, statuses = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hsettings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                response = case.call(headers=headers)
                statuses.setdefault(operation.label, set()).add(response.status_code)
                case.validate_response(response, checks=CHECKS)

            try:
                check()
            except Exception as exc:  # collect every operation's failure, not only the first
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
    return failures, statuses


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, kept from closing the test's database connection after each
    request (what Django's own test client does), so requests see the test transaction."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["admin", "liaison_northwind"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(demo, token_for, settings, wsgi_app, role):
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # thousands of expected 4xx lines otherwise
    settings.PORTAL_API_THROTTLE_RATE = "100000/min"
    settings.PORTAL_API_USER_THROTTLE_RATE = "100000/min"
    _, plain = token_for(demo[role])
    headers = {"Authorization": f"Bearer {plain}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=headers)
    failures, statuses = _run(schema, headers)
    assert not failures, "\n\n".join(failures)
    # The run reached every operation and got past validation on the reads at least.
    assert {op for op, codes in statuses.items()} == {r.ok().label for r in schema.get_all_operations()}
    assert 200 in statuses["GET /api/v1/reviews/"] and 200 in statuses["GET /api/v1/documents/"], statuses

