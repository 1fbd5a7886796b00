"""The audit and history pages read like a record: times in the reader's zone
(the CSV in UTC), filters read in that zone, labels for codes, payloads as
fields, and the chain verified from the page."""

import csv
import io
import json
import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from accounts.models import User
from audit.labels import ACTION_LABELS, action_label
from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def _admin_in(demo, zone):
    User.objects.filter(pk=demo["admin"].pk).update(time_zone=zone)
    return User.objects.select_related("membership").get(pk=demo["admin"].pk)


def _csv_rows(response):
    text = b"".join(response.streaming_content).decode()
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def _row(page, event):
    match = re.search(rf"<tr>\s*<td>{event.pk}</td>(.*?)</tr>", page, re.S)
    assert match, f"event {event.pk} not on the page"
    return match.group(1)


def test_audit_time_in_the_readers_zone_matches_the_csvs_utc(demo, login):
    client = login(_admin_in(demo, "Asia/Tokyo"))
    event = audit_record(action="user.reactivate", actor=demo["admin"], target=demo["reviewer_nsa"])
    query = {"target": f"accounts.user:{demo['reviewer_nsa'].pk}"}

    page = client.get(reverse("audit_index"), query).content.decode()
    assert "Time (Asia/Tokyo)" in page and "Times are UTC" not in page and "Time (UTC)" not in page
    shown = re.search(r'<time datetime="[^"]+">([^<]+)</time>', _row(page, event)).group(1)
    assert shown.endswith(" JST")
    local = datetime.strptime(shown.removesuffix(" JST"), "%Y-%m-%d %H:%M:%S").replace(tzinfo=TOKYO)

    row = _csv_rows(client.get(reverse("audit_export"), query))[str(event.pk)]
    at_utc = datetime.fromisoformat(row["at_utc"])
    assert at_utc.utcoffset() == timedelta(0)
    # The same moment: the page in Tokyo time, the CSV in UTC (the page shows whole seconds).
    assert local == at_utc.replace(microsecond=0)
    assert local.astimezone(dt_timezone.utc).hour != local.hour


def test_audit_filters_read_dates_in_the_readers_zone(demo, login):
    client = login(_admin_in(demo, "Asia/Tokyo"))
    event = audit_record(action="user.reactivate", actor=demo["admin"], target=demo["reviewer_nsa"])
    local = event.at.astimezone(TOKYO)

    def listed(**dates):
        params = {"target": f"accounts.user:{demo['reviewer_nsa'].pk}", **{k: v.strftime("%Y-%m-%dT%H:%M") for k, v in dates.items()}}
        page = client.get(reverse("audit_index"), params).content.decode()
        assert "From (Asia/Tokyo)" in page and "Until (Asia/Tokyo)" in page and "(UTC)" not in page
        return f"<td>{event.pk}</td>" in page

    minute = timedelta(minutes=1)
    assert listed(since=local - minute, until=local + minute)
    assert not listed(since=local + minute)  # typed in Tokyo: a minute after the event
    assert not listed(until=local - minute)
    # Read as UTC, "a minute before, Tokyo time" would be nine hours later and miss the event.
    assert listed(since=local - minute)


def test_a_moment_in_a_payload_reads_in_the_readers_zone_like_the_events_time(demo, login):
    """A search's "from" and "until" are written in UTC (ISO 8601): the page
    shows them as it shows the event's time, in the reader's zone; the CSV
    keeps the payload as written. A date without a time stays as it is."""
    client = login(_admin_in(demo, "Asia/Tokyo"))
    payload = {"searched_for": "atlas", "from": "2026-12-06T11:13:48+00:00", "until": "2026-12-06T23:59:59+00:00", "since": "2026-12-01"}
    event = audit_record(action="search.run", actor=demo["reviewer_nsa"], payload=payload)
    row = _row(client.get(reverse("audit_index"), {"action": "search.run"}).content.decode(), event)
    assert sorted(re.findall(r"<dt>([^<]+)</dt> <dd>([^<]+)</dd>", row)) == [
        ("From", "2026-12-06 20:13:48 JST"), ("Searched for", "atlas"), ("Since", "2026-12-01"), ("Until", "2026-12-07 08:59:59 JST"),
    ]
    csv_row = _csv_rows(client.get(reverse("audit_export"), {"action": "search.run"}))[str(event.pk)]
    assert json.loads(csv_row["payload"]) == payload


def test_audit_payload_reads_as_fields_and_the_csv_carries_json(demo, login):
    client = login(demo["admin"])
    payload = {"role": "agency_reviewer", "groups": ["NSA leads", "Staff"], "is_staff": False, "before": {"role": None, "agency_id": 3}}
    event = audit_record(action="membership.set", actor=demo["admin"], target=demo["reviewer_nsa"], payload=payload)
    query = {"target": f"accounts.user:{demo['reviewer_nsa'].pk}"}
    row = _row(client.get(reverse("audit_index"), query).content.decode(), event)
    assert "Role or organisation set" in row and "<code>membership.set</code>" in row
    fields = re.findall(r"<dt>([^<]+)</dt> <dd>([^<]+)</dd>", row)
    assert sorted(fields) == [
        ("Before", "Role: —; Agency (id): 3"), ("Groups", "NSA leads, Staff"), ("Role", "agency_reviewer"), ("Staff", "no"),
    ]
    assert "{&#x27;" not in row and "{'" not in row  # no Python repr
    csv_row = _csv_rows(client.get(reverse("audit_export"), query))[str(event.pk)]
    assert json.loads(csv_row["payload"]) == payload


def test_verify_button_says_intact_with_the_count(demo, login):
    client = login(demo["admin"])
    audit_record(action="user.reactivate", actor=demo["admin"], target=demo["reviewer_nsa"])
    count = AuditEvent.objects.count()
    response = client.post(reverse("audit_verify"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"The chain is intact:</strong> {count} events checked" in page
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor_id, event.payload) == ("audit.verify", demo["admin"].pk, {"checked": count, "intact": True})


def test_verify_button_names_the_first_tampered_event(demo, login):
    client = login(demo["admin"])
    first = audit_record(action="user.reactivate", actor=demo["admin"], target=demo["reviewer_nsa"])
    audit_record(action="user.reactivate", actor=demo["admin"], target=demo["reviewer_cisa"])
    before_first = AuditEvent.objects.filter(id__lt=first.pk).count()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["someone.else@example.test", first.pk])
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
    page = client.post(reverse("audit_verify")).content.decode()
    assert f"The chain is broken at event #{first.pk}:</strong>" in page
    assert "its content was altered" in page and f"Events checked intact before it: {before_first}." in page
    assert "The chain is intact" not in page


def test_history_page_uses_the_labels(demo, login):
    for role in ("liaison_northwind", "reviewer_nsa", "admin"):
        page = login(demo[role]).get(reverse("review_history", kwargs={"pk": demo["atlas"].pk})).content.decode()
        table = page.split("<tbody>")[1].split("</tbody>")[0]
        assert "Review submitted" in table and "Review window opened" in table, role
        assert "review.submit" not in table and "<code>" not in table, role


# --- every code the portal writes has a label -------------------------------------------------------

ROOT = Path(settings.BASE_DIR)
# An f-string action: what it expands to (a new f-string must be added here, with its values).
def _dynamic_codes():
    from documents.models import AccessKind
    from reviews.workflow import TRANSITIONS

    return {
        'f"review.{name}"': {f"review.{name}" for name in TRANSITIONS},
        "f\"extension.{'approve' if approve else 'decline'}\"": {"extension.approve", "extension.decline"},
        'f"document.{action}"': {f"document.{kind}" for kind in AccessKind.values},
        # findings.services.finding_update: corrected in place before sharing, a revision after.
        'f"finding.{name}"': {"finding.edit", "finding.revise"},
    }


def _emitted_codes():
    literal, dynamic = set(), set()
    expansions = _dynamic_codes()
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).parts
        if rel[0] in (".venv", "node_modules") or "tests" in rel or "migrations" in rel or rel[0] == "bench":
            continue
        text = path.read_text()
        if "audit_record" not in text and "action" not in text:
            continue
        for line in text.splitlines():
            if not re.search(r"\baction\s*[=:]|\baction\b\s*=\s*\{", line) and not re.search(r"action=\{", line):
                continue
            for fstring in re.findall(r"action=(f\"[^\"]*\"|f'[^']*')", line):
                assert fstring in expansions, f"{path}: an f-string action {fstring} — add its expansion to _dynamic_codes"
                dynamic |= expansions[fstring]
            for code in re.findall(r"[\"']([a-z_]+(?:\.[a-z_]+)+)[\"']", re.sub(r"f\"[^\"]*\"|f'[^']*'", "", line)):
                literal.add(code)
    return literal | dynamic


def test_every_emitted_action_code_has_a_label():
    codes = _emitted_codes()
    # The scan finds what it should (a literal, a dict of the admin's, a conditional, an f-string).
    assert {"auth.login", "admin.delete", "export.oscal", "review.withdraw", "document.download", "invitation.resend"} <= codes
    codes -= {"test.event"}
    missing = sorted(c for c in codes if c not in ACTION_LABELS and not c.startswith(("reviews.", "accounts.")))
    assert not missing, f"action codes without a label in audit/labels.py: {missing}"
    assert action_label("auth.login") == "Signed in"
    assert action_label("widget.frobnicate_now") == "Widget frobnicate now"
