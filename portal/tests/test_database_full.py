"""The database server's disk full (SQLSTATE 53100, as PostgreSQL answers a write it cannot
store) is an outage like the server gone: 503 "try again shortly", nothing half-written —
never a 500. Real errors raised by the test's own database server (a trigger), not mocks."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from rfis.models import RfiFollow
from search.models import SearchRecord
from search.tests.conftest import make_material

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def disk_full_on():
    """``disk_full_on(table)``: every insert into ``table`` fails as on a full disk, until the test ends."""
    tables = []

    def _on(table: str) -> None:
        with connection.cursor() as cur:
            cur.execute(
                f"""
                CREATE OR REPLACE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
                CREATE TRIGGER test_disk_full BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION test_disk_full();
                """
            )
        tables.append(table)

    yield _on
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"DROP TRIGGER test_disk_full ON {table}")
        cur.execute("DROP FUNCTION IF EXISTS test_disk_full()")


def test_a_search_that_cannot_be_recorded_is_not_shown_and_says_try_again(demo, login, disk_full_on):
    make_material(demo)
    client = login(demo["reviewer_nsa"])
    disk_full_on("search_searchrecord")
    page = client.get(reverse("search"), {"q": "obsidian"})
    part = client.get(reverse("search"), {"q": "obsidian"}, headers={"HX-Request": "true", "HX-Target": "search-results"})
    for response in (page, part):
        assert (response.status_code, response["Portal-Error"], response["Retry-After"]) == (503, "unavailable", "30")
        body = response.content.decode()
        assert "Temporarily unavailable" in body and "obsidian" not in body.lower()
    assert not SearchRecord.objects.exists()


def test_a_saved_action_whose_record_cannot_be_written_is_a_503_and_saves_nothing(demo, login, disk_full_on):
    rfi = demo["atlas_mini"].rfis.get(agency=demo["nsa"])
    client = login(demo["lead_cisa"], accept_terms_for=[demo["atlas_mini"]])
    events = AuditEvent.objects.count()
    disk_full_on("audit_auditevent")
    response = client.post(reverse("rfi_follow", kwargs={"pk": rfi.pk}))
    assert (response.status_code, response["Portal-Error"]) == (503, "unavailable")
    assert "Temporarily unavailable" in response.content.decode()
    assert not RfiFollow.objects.filter(rfi=rfi).exists()
    assert AuditEvent.objects.count() == events
