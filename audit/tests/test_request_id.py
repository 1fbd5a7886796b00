"""The request id in the audit trail is the portal's (issue 14, item 4): a
client's X-Request-ID is kept only when it is a well-formed id, and anything
else is replaced, never stored or echoed verbatim."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PORTAL_ID = re.compile(r"[0-9a-f]{32}")


def _export_with(client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    response = client.get(reverse("audit_export"), **headers)
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="audit.export").latest("id")
    return response["X-Request-ID"], event.request_id


@pytest.mark.parametrize(
    "sent",
    [
        "=HYPERLINK(\"https://evil.example\")",
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "-2+3",
        "abc def ghi",  # spaces
        "abcd\tefgh",
        "short",  # fewer than 8 characters
        "a" * 65,  # longer than 64: replaced, not cut to 64
        "../../etc/passwd",
        "id;DROP TABLE audit",
    ],
    ids=["equals", "plus", "at", "minus", "spaces", "tab", "short", "too-long", "path", "semicolon"],
)
def test_malformed_request_id_is_replaced_by_the_portals(demo, login, sent):
    echoed, stored = _export_with(login(demo["admin"]), sent)
    assert PORTAL_ID.fullmatch(echoed), echoed
    assert stored == echoed
    assert not AuditEvent.objects.filter(request_id__in=[sent, sent[:64]]).exists()


@pytest.mark.parametrize("sent", ["4fd0d7d3-57ee-495b-9158-1a67b0a172ef", "d571c2038bb34fb1ba749413d514d158", "lb-7f3a9c2e-trace", "A" * 64])
def test_well_formed_request_id_is_kept(demo, login, sent):
    echoed, stored = _export_with(login(demo["admin"]), sent)
    assert echoed == stored == sent


def test_request_without_id_gets_one(demo, login):
    echoed, stored = _export_with(login(demo["admin"]), None)
    assert PORTAL_ID.fullmatch(echoed) and stored == echoed
