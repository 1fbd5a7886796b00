"""A finding's comments in the API: its detail carries the comments the caller
may read (an agency's internal comment only within that agency, as on the
finding's page), and ``POST /api/v1/findings/{id}/comments/`` adds one.
Who may post on which finding: api/tests/test_authorization_matrix.py."""

from __future__ import annotations

import pytest

from findings import services as finding_services
from findings.models import FindingCategory, FindingComment

pytestmark = pytest.mark.django_db


@pytest.fixture
def discussed(demo):
    """An NSA finding on Atlas-2 Mini (NSA and CISA) shared with Northwind, and
    a comment from each side: NSA's internal one, NSA's open one, CISA's
    internal one and Northwind's."""
    finding = finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], title="Prompt relay", category=FindingCategory.objects.first(),
        severity="low", description="Prompts reach a second model.",
    )
    finding_services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="company")
    comment = finding_services.finding_comment
    comments = {
        "nsa_internal": comment(finding_id=finding.pk, actor=demo["reviewer_nsa"], body="NSA only: seen on build 7.", internal=True),
        "nsa_open": comment(finding_id=finding.pk, actor=demo["lead_nsa"], body="Reproduced twice.", internal=False),
        "cisa_internal": comment(finding_id=finding.pk, actor=demo["reviewer_cisa"], body="CISA only: our harness too.", internal=True),
        "northwind": comment(finding_id=finding.pk, actor=demo["liaison_northwind"], body="A fix ships next week."),
    }
    return finding, {name: c.pk for name, c in comments.items()}


READS = {
    "admin": ["nsa_internal", "nsa_open", "cisa_internal", "northwind"],
    "lead_nsa": ["nsa_internal", "nsa_open", "northwind"],
    "reviewer_nsa": ["nsa_internal", "nsa_open", "northwind"],
    "lead_cisa": ["nsa_open", "cisa_internal", "northwind"],
    "reviewer_cisa": ["nsa_open", "cisa_internal", "northwind"],
    "liaison_northwind": ["nsa_open", "northwind"],
}


@pytest.mark.parametrize("role", [*READS, "liaison_contoso"])
def test_a_finding_carries_exactly_the_comments_its_reader_may_read(demo, api, discussed, role):
    finding, comments = discussed
    response = api(demo[role], accept_terms_for=[demo["atlas_mini"]] if role != "liaison_contoso" else []).get(f"/api/v1/findings/{finding.pk}/")
    if role not in READS:
        assert response.status_code == 404  # not on the review: the finding, and so its comments, do not exist
        return
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["comments"]] == [comments[name] for name in READS[role]]
    body = {c["id"]: c for c in response.json()["comments"]}
    northwind = body[comments["northwind"]]
    assert (northwind["side"], northwind["organisation"], northwind["internal"], northwind["body"]) == (
        "company", "Northwind AI", False, "A fix ships next week."
    )
    assert set(northwind) == {"id", "side", "organisation", "internal", "body", "created_at"}  # the organisation, never the person


def test_an_agency_comment_is_internal_unless_asked_and_the_answer_carries_it(demo, api, discussed):
    finding, _ = discussed
    url = f"/api/v1/findings/{finding.pk}/comments/"
    client = api(demo["reviewer_cisa"], accept_terms_for=[demo["atlas_mini"]])
    response = client.post(url, {"body": "Seen again."}, format="json")
    assert response.status_code == 201, response.content
    kept = FindingComment.objects.latest("id")
    assert (kept.author, kept.side, kept.agency, kept.internal, kept.body) == (demo["reviewer_cisa"], "agency", demo["cisa"], True, "Seen again.")
    assert response.json()["comments"][-1] == {
        "id": kept.pk, "side": "agency", "organisation": "CISA", "internal": True, "body": "Seen again.", "created_at": response.json()["comments"][-1]["created_at"],
    }
    opened = client.post(url, {"body": "For everyone.", "internal": False}, format="json")
    assert opened.status_code == 201 and FindingComment.objects.latest("id").internal is False
    # NSA reads the open one, not CISA's internal one.
    nsa = api(demo["reviewer_nsa"], accept_terms_for=[demo["atlas_mini"]]).get(f"/api/v1/findings/{finding.pk}/").json()
    assert [c["body"] for c in nsa["comments"]][-1] == "For everyone."
    assert kept.pk not in [c["id"] for c in nsa["comments"]]


@pytest.mark.parametrize(
    ("role", "body", "field"),
    [
        ("liaison_northwind", {"body": "Secret?", "internal": True}, "internal"),  # a company's comment is never internal
        ("reviewer_nsa", {"body": "   "}, "body"),
        ("reviewer_nsa", {}, "body"),
        ("reviewer_nsa", {"body": "x", "internal": "maybe"}, "internal"),
        ("reviewer_nsa", {"body": "x", "author": 1}, "author"),  # unknown fields are refused
        ("reviewer_nsa", ["body"], None),  # not an object
    ],
)
def test_a_refused_comment_names_its_field_and_keeps_nothing(demo, api, discussed, role, body, field):
    finding, _ = discussed
    before = FindingComment.objects.count()
    response = api(demo[role], accept_terms_for=[demo["atlas_mini"]]).post(f"/api/v1/findings/{finding.pk}/comments/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field, response.json()
    assert FindingComment.objects.count() == before
