"""Fixtures of the exports tests."""

from __future__ import annotations

import pytest

from findings import services as finding_services
from findings.models import FindingCategory, Sharing
from reviews.tests.factories import close_review


@pytest.fixture
def closed_atlas(demo):
    atlas = demo["atlas"]
    internal = atlas.findings.get()  # the demo's internal finding stays internal
    shared = finding_services.finding_create(
        review_id=atlas.pk, actor=demo["reviewer_nsa"], title="Safeguard bypass via tool output",
        category=FindingCategory.objects.get(name="Safeguard bypass"), severity="medium",
        description="Injected tool output disables refusals.", evidence="Transcript 22.",
    )
    finding_services.finding_comment(finding_id=shared.pk, actor=demo["lead_nsa"], body="INTERNAL-NOTE escalate", internal=True)
    finding_services.finding_comment(finding_id=shared.pk, actor=demo["reviewer_nsa"], body="Please confirm the fix.", internal=False)
    finding_services.finding_share(finding_id=shared.pk, actor=demo["lead_nsa"], sharing=Sharing.COMPANY)
    closed = close_review(atlas, demo["lead_nsa"], outcome_summary="Release with the tool-output fix.", recommendations="Re-test in 60 days.")
    return {"review": closed, "internal": internal, "shared": shared}
