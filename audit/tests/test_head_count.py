"""The chain head counts the events it chains (``AuditHead.events``), so the
office's whole trail is paged without counting every event each visit."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent, AuditHead
from audit.services import audit_record, audit_record_many
from audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def _head_count() -> int:
    return AuditHead.objects.get(pk=1).events


def test_the_head_counts_every_event_appended_one_or_many_at_a_time(demo):
    before = AuditEvent.objects.count()
    assert _head_count() == before
    audit_record(action="report.download", actor=demo["admin"])
    audit_record_many([{"action": "report.download", "actor": demo["lead_nsa"]} for _ in range(3)])
    assert AuditEvent.objects.count() == before + 4
    assert _head_count() == before + 4
    assert verify_chain()[1] is None


def test_the_whole_trail_is_counted_from_the_head_and_a_filtered_one_from_its_rows(demo, login):
    audit_record(action="report.download", actor=demo["admin"], payload={"note": "quokka"})
    client = login(demo["admin"])
    with CaptureQueriesContext(connection) as whole:
        page = client.get(reverse("audit_index"))
    assert page.context["page"].paginator.count == AuditEvent.objects.count()
    counted = [q["sql"] for q in whole.captured_queries if "COUNT(" in q["sql"].upper() and "audit_auditevent" in q["sql"]]
    assert counted == []
    with CaptureQueriesContext(connection) as filtered:
        found = client.get(reverse("audit_index"), {"q": "quokka"})
    assert found.context["page"].paginator.count == 1
    assert any("COUNT(" in q["sql"].upper() and "audit_auditevent" in q["sql"] for q in filtered.captured_queries)


def test_a_head_that_counts_otherwise_is_a_break_in_the_chain(demo):
    audit_record(action="report.download", actor=demo["admin"])
    AuditHead.objects.filter(pk=1).update(events=_head_count() + 1)
    checked, broken = verify_chain()
    assert broken is not None
    assert broken.reason == f"the chain head counts {checked + 1} events, the trail holds {checked}"


def test_the_migration_counts_the_events_already_written(demo):
    audit_record(action="report.download", actor=demo["admin"])
    AuditHead.objects.filter(pk=1).update(events=0)
    migration = importlib.import_module("audit.migrations.0004_head_counts_events")
    migration.count_events(apps, None)
    assert _head_count() == AuditEvent.objects.count() > 0
