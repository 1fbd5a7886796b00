"""The API's shared questions (follow) and findings (create, edit before sharing,
respond, retest, close) and the catalogues: the web's rules and error bodies."""

from __future__ import annotations

import pytest
from django.urls import reverse

from findings.models import Finding, FindingCategory, FindingEvent
from rfis.models import RfiFollow

pytestmark = pytest.mark.django_db


def _url(name, pk=None):
    return reverse(f"api:{name}", kwargs={"pk": pk} if pk is not None else {})


def test_follow_through_the_api_lists_the_agency_and_the_answer_reaches_it(demo, api):
    rfi = demo["atlas_mini"].rfis.get(agency=demo["nsa"])
    cisa = api(demo["reviewer_cisa"])
    response = cisa.post(_url("rfi-follow", rfi.pk))
    assert response.status_code == 200, response.content
    assert response.json()["asked_by_agencies"] == ["NSA", "CISA"]
    again = cisa.post(_url("rfi-follow", rfi.pk))
    assert again.status_code == 400
    assert again.json() == {"errors": [{"field": "status", "code": "invalid_transition", "message": "Your agency already follows this question."}]}
    assert RfiFollow.objects.filter(rfi=rfi).count() == 1
    company = api(demo["liaison_northwind"]).get(_url("rfi-detail", rfi.pk)).json()
    assert company["asked_by_agencies"] == ["NSA", "CISA"] and "Riley" not in str(company)


def test_private_question_through_the_api_is_not_found_by_the_other_agency(demo, api):
    created = api(demo["reviewer_nsa"]).post(_url("rfi-list"), {
        "review": demo["atlas_mini"].pk, "subject": "Our own line of inquiry", "question": "Q?", "private": True, "category": "safeguards",
    }, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["private"], created.json()["category"]) == (True, "safeguards")
    pk = created.json()["id"]
    cisa = api(demo["reviewer_cisa"])
    assert cisa.get(_url("rfi-detail", pk)).status_code == 404
    assert cisa.post(_url("rfi-follow", pk)).status_code == 404
    assert pk not in {r["id"] for r in cisa.get(_url("rfi-list"), {"page_size": 100}).json()["results"]}
    assert api(demo["liaison_northwind"]).get(_url("rfi-detail", pk)).status_code == 200


def test_finding_lifecycle_through_the_api(demo, api):
    nsa, cisa, company = api(demo["reviewer_nsa"]), api(demo["reviewer_cisa"]), api(demo["liaison_northwind"])
    created = nsa.post(_url("finding-list"), {
        "review": demo["atlas_mini"].pk, "title": "Role-play jailbreak", "category": FindingCategory.objects.first().pk,
        "severity": "high", "description": "Complies after role-play.", "taxonomy": ["aml.t0054"], "draft": True,
    }, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["taxonomy"], body["events"][0]["organisation"]) == ("draft", ["AML.T0054"], "NSA")
    pk = body["id"]
    edited = nsa.patch(_url("finding-detail", pk), {"severity": "critical", "taxonomy": ["AML.T0054", "LLM01"]}, format="json")
    assert edited.status_code == 200 and edited.json()["severity"] == "critical" and edited.json()["title"] == "Role-play jailbreak"
    assert nsa.post(_url("finding-record", pk), {}, format="json").json()["status"] == "recorded"
    from findings.services import finding_share

    finding_share(finding_id=pk, actor=demo["lead_nsa"], sharing="company")
    # Shared: a change is a new revision, and CISA may not edit another agency's finding (403).
    revised = nsa.patch(_url("finding-detail", pk), {"title": "Role-play jailbreak (confirmed)"}, format="json")
    assert revised.status_code == 200 and revised.json()["title"] == "Role-play jailbreak (confirmed)"
    assert cisa.patch(_url("finding-detail", pk), {"title": "Changed"}, format="json").status_code == 403
    responded = company.post(_url("finding-respond", pk), {"response": "fixed", "rationale": "Retrained."}, format="json")
    assert responded.status_code == 200 and responded.json()["response"] == "fixed"
    close = api(demo["lead_nsa"]).post(_url("finding-close", pk), {"comment": "Done."}, format="json")
    assert close.status_code == 400 and "retest" in close.json()["errors"][0]["message"]
    assert cisa.post(_url("finding-retest", pk), {"result": "verified_fixed"}, format="json").json()["retest_result"] == "verified_fixed"
    closed = api(demo["lead_nsa"]).post(_url("finding-close", pk), {"comment": "Done."}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    # Closed: no more changes (400 on the state).
    refused = nsa.patch(_url("finding-detail", pk), {"title": "Changed"}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["message"] == "This finding is closed: it can no longer be changed."
    # The company sees the revision made after sharing, never the correction made before it.
    events = company.get(_url("finding-detail", pk)).json()["events"]
    assert [(e["name"], e["organisation"]) for e in events] == [
        ("create", "NSA"), ("record", "NSA"), ("share", "NSA"), ("revise", "NSA"), ("respond", "Northwind AI"),
        ("retest", "CISA"), ("close", "NSA"),
    ]
    assert [e["name"] for e in nsa.get(_url("finding-detail", pk)).json()["events"]][:3] == ["create", "edit", "record"]


def test_unknown_taxonomy_id_is_a_400_naming_the_field_and_writes_nothing(demo, api):
    before = (Finding.objects.count(), FindingEvent.objects.count())
    response = api(demo["reviewer_nsa"]).post(_url("finding-list"), {
        "review": demo["atlas"].pk, "title": "T", "category": FindingCategory.objects.first().pk, "severity": "low",
        "description": "D", "taxonomy": ["LLM99"],
    }, format="json")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "taxonomy" and error["message"].startswith("Unknown taxonomy id: LLM99.")
    assert (Finding.objects.count(), FindingEvent.objects.count()) == before


def test_catalogues_endpoint_lists_the_shipped_releases_and_the_rubric(demo, api):
    body = api(demo["liaison_contoso"]).get(_url("catalogues")).json()
    by_id = {c["id"]: c for c in body["catalogues"]}
    assert (by_id["owasp_llm"]["version"], len(by_id["owasp_llm"]["entries"])) == ("2025", 10)
    assert (by_id["mitre_atlas"]["version"], len(by_id["mitre_atlas"]["entries"])) == ("5.6.0", 170)
    assert (by_id["nist_ai_600_1"]["version"], len(by_id["nist_ai_600_1"]["entries"])) == ("2024-07", 12)
    assert [s["id"] for s in body["severity"]] == ["critical", "high", "medium", "low", "informational"]
