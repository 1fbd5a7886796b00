"""``audit_record_many``: several events appended in one go (one lock, one INSERT)
keep the chain exactly as one ``audit_record`` after another would."""

import pytest

from audit.models import AuditEvent, AuditHead
from audit.services import audit_record, audit_record_many
from audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def test_events_written_together_link_in_the_order_given_between_single_ones(demo):
    first = audit_record(action="test.before", actor=demo["admin"])
    together = audit_record_many([
        {"action": "test.one", "actor": demo["reviewer_nsa"], "payload": {"n": 1}},
        {"action": "test.two", "actor_label": "gone@agency.example", "actor_organisation": "NSA", "client_address": "10.0.0.9", "request_id": "req-12345678"},
        {"action": "test.three", "actor": demo["liaison_northwind"], "review": demo["atlas"]},
    ])
    last = audit_record(action="test.after")
    events = list(AuditEvent.objects.filter(pk__gte=first.pk).order_by("id"))
    assert [e.action for e in events] == ["test.before", "test.one", "test.two", "test.three", "test.after"]
    assert [e.pk for e in events[1:4]] == [e.pk for e in together]
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:]))
    assert [(e.actor_label, e.actor_organisation, e.client_address, e.request_id, e.review_id) for e in events[1:4]] == [
        (demo["reviewer_nsa"].email, "NSA", None, "", None),
        ("gone@agency.example", "NSA", "10.0.0.9", "req-12345678", None),
        (demo["liaison_northwind"].email, "Northwind AI", None, "", demo["atlas"].pk),
    ]
    head = AuditHead.objects.get(pk=1)
    assert (head.last_event_id, head.last_hash) == (last.pk, last.hash)
    assert verify_chain()[1] is None


def test_nothing_to_write_writes_nothing(demo):
    count = AuditEvent.objects.count()
    assert audit_record_many([]) == []
    assert AuditEvent.objects.count() == count
