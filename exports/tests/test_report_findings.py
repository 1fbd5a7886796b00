"""The closing report lists findings by status and by taxonomy, counting only what its reader may see."""

from __future__ import annotations

import pytest

from exports.reports import report_csv, report_for
from findings import services

pytestmark = pytest.mark.django_db


def test_report_lists_findings_by_status_and_taxonomy_per_reader(demo):
    review = demo["atlas_mini"]
    nsa = review.findings.get(agency=demo["nsa"])  # internal to NSA: AML.T0054, GAI-9
    cisa = review.findings.get(agency=demo["cisa"])  # shared with the agencies: AML.T0054, LLM06
    services.finding_share(finding_id=cisa.pk, actor=demo["lead_cisa"], sharing="company")
    services.finding_respond(finding_id=cisa.pk, actor=demo["liaison_northwind"], response="fixed", rationale="Flag removed.")

    admin = report_for(review=review, user=demo["admin"])
    assert admin.findings_by_status == [
        {"status": "Company responded (fixed)", "findings": 1},
        {"status": "Recorded", "findings": 1},
    ]
    assert [(r["taxonomy"], r["findings"]) for r in admin.findings_by_taxonomy] == [
        ("AML.T0054 LLM Jailbreak", 2), ("GAI-9 Information Security", 1), ("LLM06 Excessive Agency", 1),
    ]
    # CISA and the company do not learn of NSA's internal finding, not even as a count.
    for role in ("lead_cisa", "liaison_northwind"):
        report = report_for(review=review, user=demo[role])
        assert report.findings_by_status == [{"status": "Company responded (fixed)", "findings": 1}], role
        assert [(r["taxonomy"], r["findings"]) for r in report.findings_by_taxonomy] == [
            ("AML.T0054 LLM Jailbreak", 1), ("LLM06 Excessive Agency", 1),
        ], role
    text = report_csv(report_for(review=review, user=demo["liaison_northwind"]))
    assert "Findings by taxonomy" in text and "GAI-9" not in text and nsa.title not in text
