"""The office's trail search (``q``): the action, the actor, the target, the
request id and the details of each event, case aside, anywhere in them —
read on PostgreSQL through one pg_trgm index (audit migration 0003)."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.models import AuditEvent
from audit.selectors import audit_event_list
from audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(demo):
    made = {
        "searched": audit_record(action="search.run", actor=demo["reviewer_nsa"], payload={"searched_for": "Quokka Telemetry", "found": {"documents": "3"}}, request_id="req-AB12cd34"),
        "viewed": audit_record(action="document.view", actor=demo["lead_cisa"], target=demo["helix"], payload={"version": 2}),
        "percent": audit_record(action="report.download", actor=demo["admin"], payload={"note": "100% of the window"}),
    }
    return {name: event.pk for name, event in made.items()}


def _found(user, q):
    return set(audit_event_list(user=user, q=q).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("quokka telemetry", {"searched"}),  # the details (a search's words), case aside
        ("AB12CD", {"searched"}),  # part of a request id
        ("reviewer.nsa@", {"searched"}),  # the actor
        ("document.vi", {"viewed"}),  # the action
        (" review #", {"viewed"}),  # the target's label
        ("100%", {"percent"}),  # a % is itself, not "anything"
        ("_of_", set()),  # and so is an underscore
        ("nothing like this", set()),
    ],
)
def test_the_trail_search_finds_each_part_of_an_event(demo, events, q, expected):
    assert _found(demo["admin"], q) & set(events.values()) == {events[name] for name in expected}
    # The program office's only: anyone else finds nothing, however it matches.
    assert _found(demo["lead_nsa"], q) == set()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"actor": "REVIEWER.nsa@"}, {"searched"}),
        ({"actor": "agency.example"}, {"searched", "viewed"}),
        ({"actor": "document"}, set()),  # the actor's address, not the action or the object
        ({"organisation": "cisa"}, {"viewed"}),
        ({"target": "review #"}, {"viewed"}),
        ({"target": "quokka"}, set()),  # the object, not the details
        ({"actor": "reviewer.nsa@", "q": "telemetry"}, {"searched"}),
        ({"actor": "reviewer.nsa@", "q": "document.view"}, set()),
    ],
)
def test_the_trails_fields_find_in_their_own_column(demo, events, fields, expected):
    """Actor, Organisation and Object are narrowed through the same index,
    then each is matched in its own column only."""
    found = set(audit_event_list(user=demo["admin"], **fields).values_list("pk", flat=True))
    assert found & set(events.values()) == {events[name] for name in expected}


@pytest.mark.parametrize("fields", [{"q": "quokka"}, {"actor": "reviewer.nsa@"}, {"organisation": "cisa"}, {"target": "review #"}])
def test_the_trail_search_reads_its_trigram_index(demo, events, fields):
    """The selector's text is the index's expression: with the scans that read
    every row off the table (as they are, by cost, at a million events),
    PostgreSQL reads the index."""
    assert connection.vendor == "postgresql"
    sql, params = audit_event_list(user=demo["admin"], **fields).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # the primary key walked newest first, filtering each row
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_searched_text_trgm" in plan, plan
    assert AuditEvent.objects.filter(pk__in=events.values()).count() == 3
