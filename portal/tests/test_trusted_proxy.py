"""Behind nginx, the audit trail and the access record name the client, not the proxy."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from documents.models import DocumentAccess
from documents.tests.factories import make_document, pdf_bytes

pytestmark = pytest.mark.django_db


def _view(client, version, **extra):
    return client.get(reverse("document_detail", kwargs={"pk": version.document_id}), **extra)


@pytest.mark.parametrize(
    "count,forwarded,recorded",
    [
        (1, "198.51.100.23", "198.51.100.23"),  # nginx appended the client's address
        (1, "10.9.9.9, 198.51.100.23", "198.51.100.23"),  # a client's own X-Forwarded-For is not believed
        (2, "198.51.100.23, 10.0.0.5", "198.51.100.23"),  # a balancer in front of nginx
        (0, "198.51.100.23", "127.0.0.9"),  # no proxy configured: the header is ignored
        (2, "198.51.100.23", "127.0.0.9"),  # fewer hops than proxies: not through them
    ],
)
def test_client_address_comes_from_the_trusted_proxy_hop(demo, login, settings, count, forwarded, recorded):
    settings.PORTAL_TRUSTED_PROXY_COUNT = count
    version = make_document(demo["atlas_mini"], content=pdf_bytes("addressed"))
    client = login(demo["liaison_northwind"])
    response = _view(client, version, REMOTE_ADDR="127.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 200
    access = DocumentAccess.objects.filter(version=version).latest("id")
    event = AuditEvent.objects.filter(action="document.view").latest("id")
    assert (access.client_address, event.client_address) == (recorded, recorded)
