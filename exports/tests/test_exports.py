"""The JSON export (against its schema) and the OSCAL documents (through trestle), per audience."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from exports.data import export_validate, review_export
from exports.oscal import oscal_json, oscal_validate
from findings import services as finding_services
from findings.models import FindingCategory, Sharing
from reviews.tests.factories import close_review

pytestmark = pytest.mark.django_db

AUDIENCES = ("admin", "lead_nsa", "reviewer_nsa", "lead_cisa", "reviewer_cisa", "liaison_northwind")
# Display names of DESIGN.md's demo people; none may reach another organisation's export.
AGENCY_PEOPLE = ("Lee Lead", "Riley Reviewer", "Cameron Lead", "Casey Reviewer", "Avery Admin")
EMAILS = ("reviewer.nsa", "lead.nsa", "reviewer.cisa", "lead.cisa", "admin@portal")


@pytest.fixture
def mini(demo):
    """The demo's shared review (NSA's finding internal, CISA's shared with the agencies) plus an
    NSA finding shared with the company, answered by the company, and an internal NSA comment."""
    review = demo["atlas_mini"]
    shared = finding_services.finding_create(
        review_id=review.pk, actor=demo["reviewer_nsa"], title="Tool output disables refusals",
        category=FindingCategory.objects.get(name="Safeguard bypass"), severity="high",
        description="Injected tool output disables refusals.", evidence="Transcript 22.",
    )
    finding_services.finding_comment(finding_id=shared.pk, actor=demo["lead_nsa"], body="INTERNAL-NOTE escalate", internal=True)
    finding_services.finding_share(finding_id=shared.pk, actor=demo["lead_nsa"], sharing=Sharing.COMPANY)
    finding_services.finding_comment(finding_id=shared.pk, actor=demo["liaison_northwind"], body="Fixed in build 7.", internal=False)
    return {
        "review": review,
        "shared": shared,
        "nsa_internal": review.findings.get(agency=demo["nsa"], sharing=Sharing.INTERNAL),
        "cisa_agencies": review.findings.get(agency=demo["cisa"], sharing=Sharing.AGENCIES),
    }


def _titles(doc):
    return {f["title"] for f in doc["findings"]}


@pytest.mark.parametrize("role", AUDIENCES)
def test_json_export_validates_against_its_schema_for_each_audience(mini, demo, role):
    doc = review_export(review=mini["review"], user=demo[role])
    export_validate(doc)
    assert doc["schema_version"] == "1.2" and doc["review"]["id"] == mini["review"].pk
    # Round trip through the bytes a download carries.
    export_validate(json.loads(json.dumps(doc)))


def test_json_export_holds_exactly_what_each_audience_may_see(mini, demo):
    every = {mini["shared"].title, mini["nsa_internal"].title, mini["cisa_agencies"].title}
    seen = {role: _titles(review_export(review=mini["review"], user=demo[role])) for role in AUDIENCES}
    assert seen["admin"] == every
    assert seen["lead_nsa"] == seen["reviewer_nsa"] == every
    assert seen["lead_cisa"] == seen["reviewer_cisa"] == {mini["shared"].title, mini["cisa_agencies"].title}
    assert seen["liaison_northwind"] == {mini["shared"].title}


def test_company_export_names_no_person_and_holds_no_assignment_or_internal_comment(mini, demo):
    doc = review_export(review=mini["review"], user=demo["liaison_northwind"])
    text = json.dumps(doc)
    assert doc["assignments"] == [] and doc["audience"] == {"kind": "company", "organisation": "Northwind AI"}
    for secret in (*AGENCY_PEOPLE, *EMAILS, "INTERNAL-NOTE", mini["nsa_internal"].title, mini["cisa_agencies"].title):
        assert secret not in text, secret
    finding = doc["findings"][0]
    assert "author" not in finding and [c["body"] for c in finding["comments"]] == ["Fixed in build 7."]
    assert {r["asked_by"] for r in doc["rfis"]} == {"NSA", "CISA"}


def test_agency_export_names_its_own_people_but_not_the_other_agencys(mini, demo):
    text = json.dumps(review_export(review=mini["review"], user=demo["lead_cisa"]))
    assert "Casey Reviewer" in text
    for secret in ("Lee Lead", "Riley Reviewer", "INTERNAL-NOTE"):
        assert secret not in text, secret


def test_json_export_downloads_and_is_404_out_of_scope(mini, demo, login):
    client = login(demo["liaison_contoso"])
    assert client.get(reverse("review_export_json", kwargs={"pk": mini["review"].pk})).status_code == 404
    client = login(demo["liaison_northwind"])
    response = client.get(reverse("review_export_json", kwargs={"pk": mini["review"].pk}))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    doc = json.loads(response.content)
    export_validate(doc)
    assert _titles(doc) == {mini["shared"].title}


def test_schema_file_is_served_to_anyone_signed_in(demo, login):
    response = login(demo["liaison_contoso"]).get(reverse("export_schema"))
    assert response.status_code == 200 and json.loads(response.content)["$id"].endswith("review-export-1.schema.json")


# --- OSCAL -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["assessment-results", "poam"])
@pytest.mark.parametrize("role", AUDIENCES)
def test_trestle_validates_each_oscal_output_for_each_audience(mini, demo, role, kind):
    text = oscal_json(review_export(review=mini["review"], user=demo[role]), kind)
    model = oscal_validate(text, kind)
    assert model.metadata.parties and all(p.type == "organization" for p in model.metadata.parties)


def test_company_oscal_holds_no_unshared_finding_and_no_person(mini, demo):
    for kind in ("assessment-results", "poam"):
        text = oscal_json(review_export(review=mini["review"], user=demo["liaison_northwind"]), kind).decode()
        assert mini["shared"].title in text and "Fixed in build 7." in text
        for secret in (*AGENCY_PEOPLE, *EMAILS, "INTERNAL-NOTE", "Nora Liaison", mini["nsa_internal"].title, mini["cisa_agencies"].title):
            assert secret not in text, (kind, secret)


def test_assessment_results_link_observations_to_documents_by_sha256(mini, demo):
    from documents.models import DocumentVersion

    def build(review):
        text = oscal_json(review_export(review=review, user=demo["admin"]), "assessment-results")
        return oscal_validate(text, "assessment-results")

    atlas = build(demo["atlas"])  # the demo review with documents
    resources = {r.uuid: r for r in atlas.back_matter.resources}
    hashes = {r.rlinks[0].hashes[0].value for r in resources.values() if r.rlinks}
    expected = set(DocumentVersion.objects.filter(document__review=demo["atlas"]).values_list("sha256", flat=True))
    assert expected and hashes == expected
    examined = [o for o in atlas.results[0].observations if o.methods == ["EXAMINE"] and o.relevant_evidence]
    assert len(examined) == len(expected) and all(o.relevant_evidence[0].href[1:] in resources for o in examined)
    model = build(mini["review"])
    result = model.results[0]
    # Findings carry severity and taxonomy, a status and a risk with the company's response.
    finding = next(f for f in result.findings if f.title == mini["shared"].title)
    props = {p.name: p.value for p in finding.props}
    assert props["severity"] == "high" and props["category"] == "Safeguard bypass" and props["category-id"]
    assert finding.target.status.state.value == "not-satisfied"
    risk = next(r for r in result.risks if r.uuid == finding.related_risks[0].risk_uuid)
    assert [r.description for r in risk.remediations] == ["Fixed in build 7."]
    window = {p.name for p in result.props}
    assert {"window-start", "window-end", "participating-agency"} <= window


def test_poam_lists_the_findings_open_at_close(closed_mini, demo):
    model = oscal_validate(oscal_json(review_export(review=closed_mini["review"], user=demo["lead_cisa"]), "poam"), "poam")
    assert {i.title for i in model.poam_items} == {closed_mini["shared"].title, closed_mini["cisa_agencies"].title}
    assert "interim" not in model.metadata.title


@pytest.fixture
def closed_mini(mini, demo):
    return {**mini, "review": close_review(mini["review"], demo["lead_nsa"], outcome_summary="Release after fixes.", recommendations="Re-test.")}


def test_oscal_downloads_through_the_page_and_is_404_out_of_scope(mini, demo, login):
    client = login(demo["lead_cisa"], accept_terms_for=[mini["review"]])
    for kind in ("assessment-results", "poam"):
        response = client.get(reverse("review_oscal", kwargs={"pk": mini["review"].pk, "kind": kind}))
        assert response.status_code == 200, kind
        oscal_validate(response.content, kind)
    assert client.get(reverse("review_oscal", kwargs={"pk": mini["review"].pk, "kind": "ssp"})).status_code == 404
    other = login(demo["liaison_contoso"])
    assert other.get(reverse("review_oscal", kwargs={"pk": mini["review"].pk, "kind": "poam"})).status_code == 404


# --- The export log -------------------------------------------------------------------


def test_every_export_is_an_audit_event_the_company_sees_as_the_agency(mini, demo, login):
    from audit.models import AuditEvent

    review = mini["review"]
    lead = login(demo["lead_nsa"], accept_terms_for=[review])
    before = set(AuditEvent.objects.values_list("id", flat=True))
    lead.get(reverse("review_export_json", kwargs={"pk": review.pk}))
    lead.get(reverse("review_oscal", kwargs={"pk": review.pk, "kind": "assessment-results"}))
    events = AuditEvent.objects.exclude(id__in=before).order_by("id")
    assert [(e.action, e.actor, e.payload["format"], e.payload["audience"]) for e in events] == [
        ("export.json", demo["lead_nsa"], "json", "NSA"),
        ("export.oscal", demo["lead_nsa"], "assessment-results", "NSA"),
    ]
    page = login(demo["liaison_northwind"]).get(reverse("review_history", kwargs={"pk": review.pk})).content.decode()
    # The history reads like a record: labels, not action codes.
    assert "JSON export downloaded" in page and "OSCAL export downloaded" in page and "export.json" not in page
    assert "Lee Lead" not in page and "lead.nsa" not in page
    # Another agency does not learn what NSA exported.
    cisa = login(demo["lead_cisa"]).get(reverse("review_history", kwargs={"pk": review.pk})).content.decode()
    assert "JSON export downloaded" not in cisa and "export.json" not in cisa


def test_api_export_is_cut_to_the_caller_and_404_out_of_scope(mini, demo):
    from rest_framework.test import APIClient

    from api.services import token_create

    def call(role, pk):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=demo[role], name='t')[1]}")
        return client.get(f"/api/v1/reviews/{pk}/export/")

    response = call("liaison_northwind", mini["review"].pk)
    assert response.status_code == 200
    export_validate(response.json())
    assert _titles(response.json()) == {mini["shared"].title}
    assert call("liaison_contoso", mini["review"].pk).status_code == 404
    assert call("reviewer_nsa", demo["helix"].pk).status_code == 404


def test_oscal_takes_multi_line_texts(demo):
    review = demo["atlas"]
    finding = finding_services.finding_create(
        review_id=review.pk, actor=demo["reviewer_nsa"], title="Refusal bypass  via tool output",
        category=FindingCategory.objects.get(name="Safeguard bypass"), severity="low",
        description="Line one.\n\nLine two.  ", evidence="  Transcript 4\r\nTranscript 5\n",
    )
    finding_services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing=Sharing.COMPANY)
    finding_services.finding_comment(finding_id=finding.pk, actor=demo["liaison_northwind"], body="Fixed.\nSee build 9.", internal=False)
    for role in ("admin", "liaison_northwind"):
        for kind in ("assessment-results", "poam"):
            model = oscal_validate(oscal_json(review_export(review=review, user=demo[role]), kind), kind)
            findings = model.results[0].findings if kind == "assessment-results" else model.findings
            assert "Refusal bypass  via tool output" in {f.title for f in findings}


def test_exports_follow_the_finding_lifecycle_and_the_poam_drops_what_closed(mini, demo):
    """A finding the company fixed and NSA verified and closed: the JSON export carries its
    lifecycle and taxonomy, the OSCAL finding is satisfied with its catalogue ids, its risk is
    closed, and the POA&M no longer lists it while the still-open one stays."""
    review = mini["review"]
    fixed = finding_services.finding_create(
        review_id=review.pk, actor=demo["reviewer_nsa"], title="Prompt injection through tool output",
        category=FindingCategory.objects.get(name="Safeguard bypass"), severity="medium",
        description="Tool output steers the model.", taxonomy=["AML.T0054", "GAI-9"],
    )
    finding_services.finding_share(finding_id=fixed.pk, actor=demo["lead_nsa"], sharing=Sharing.COMPANY)
    finding_services.finding_respond(finding_id=fixed.pk, actor=demo["liaison_northwind"], response="fixed", rationale="Build 8.")
    finding_services.finding_retest(finding_id=fixed.pk, actor=demo["reviewer_nsa"], result="verified_fixed", comment="Gone.")
    finding_services.finding_close(finding_id=fixed.pk, actor=demo["lead_nsa"], comment="Verified.")

    for role in ("lead_nsa", "liaison_northwind"):
        export = review_export(review=review, user=demo[role])
        export_validate(export)
        (row,) = [f for f in export["findings"] if f["id"] == fixed.pk]
        assert (row["status"], row["response"], row["retest_result"]) == ("closed", "fixed", "verified_fixed")
        assert {t["code"] for t in row["taxonomy"]} == {"AML.T0054", "GAI-9"}

        results = oscal_validate(oscal_json(export, "assessment-results"), "assessment-results")
        (finding,) = [f for f in results.results[0].findings if f.title == fixed.title]
        props = {(p.name, p.value) for p in finding.props}
        assert {("finding-status", "closed"), ("retest", "verified_fixed"), ("taxonomy", "AML.T0054"), ("taxonomy", "GAI-9")} <= props
        assert finding.target.status.state.value == "satisfied"
        (risk,) = [r for r in results.results[0].risks if r.title == fixed.title]
        assert risk.status.root.root == "closed"

        poam = oscal_validate(oscal_json(export, "poam"), "poam")
        titles = {i.title for i in poam.poam_items}
        assert fixed.title not in titles and mini["shared"].title in titles


@pytest.fixture
def evidence(mini, demo):
    """Two evidence files: a transcript on the finding shared with the company
    and a log on NSA's internal finding. Returns the transcript's attachment,
    content and SHA-256."""
    import hashlib

    from documents.tests.factories import marking, upload

    content = b"model: refusal bypassed via tool output\n"
    on_shared = finding_services.evidence_add(
        finding_id=mini["shared"].pk, actor=demo["reviewer_nsa"], file=upload("transcript-22.txt", content),
        original_name="transcript-22.txt", marking=marking(),
    )
    finding_services.evidence_add(
        finding_id=mini["nsa_internal"].pk, actor=demo["reviewer_nsa"], file=upload("internal-log.txt", b"internal\n"),
        original_name="internal-log.txt", marking=marking(),
    )
    return {"attachment": on_shared, "content": content, "sha256": hashlib.sha256(content).hexdigest()}


def test_json_export_lists_each_visible_findings_evidence_files(mini, demo, evidence):
    """Schema 1.2: a finding's evidence files, with the adding agency and the
    file's hash — in every export that holds the finding, and nowhere else."""
    on_shared, content = evidence["attachment"], evidence["content"]
    for role, names in (("admin", {"transcript-22.txt", "internal-log.txt"}), ("reviewer_nsa", {"transcript-22.txt", "internal-log.txt"}),
                        ("reviewer_cisa", {"transcript-22.txt"}), ("liaison_northwind", {"transcript-22.txt"})):
        doc = review_export(review=mini["review"], user=demo[role])
        export_validate(doc)
        files = {a["file_name"]: a for f in doc["findings"] for a in f["attachments"]}
        assert set(files) == names, role
        row = files["transcript-22.txt"]
        assert row["id"] == on_shared.pk and row["agency"] == "NSA" and row["stage"] == "finding"
        assert row["sha256"] == evidence["sha256"] and row["size"] == len(content)
        assert "Riley Reviewer" not in json.dumps(row)


def test_closing_report_lists_each_visible_findings_evidence_files(mini, demo, evidence):
    """The PDF and CSV report carry the same evidence files as the JSON export:
    file, size, SHA-256, scan and the adding agency, per finding the reader sees."""
    import io

    from pypdf import PdfReader

    from exports.reports import report_csv, report_for, report_pdf

    digest = evidence["sha256"]
    for role, names in (("admin", {"transcript-22.txt", "internal-log.txt"}), ("reviewer_cisa", {"transcript-22.txt"}),
                        ("liaison_northwind", {"transcript-22.txt"})):
        report = report_for(review=mini["review"], user=demo[role])
        files = {row["title"]: row["files"] for row in report.findings}
        listed = {name for text in files.values() for name in ("transcript-22.txt", "internal-log.txt") if name in text}
        assert listed == names, role
        line = files[mini["shared"].title]
        assert line.startswith("transcript-22.txt: transcript-22.txt (40 bytes), SHA-256 " + digest), role
        assert "finding evidence added by NSA on" in line and "Riley Reviewer" not in line
        csv_text = report_csv(report)
        assert "Evidence files" in csv_text and digest in csv_text
        assert ("internal-log.txt" in csv_text) == ("internal-log.txt" in names)
    pdf = report_pdf(report_for(review=mini["review"], user=demo["liaison_northwind"]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Evidence files" in text and "transcript-22.txt" in text and "internal-log.txt" not in text


def test_oscal_assessment_results_link_each_visible_evidence_file_with_its_hash(mini, demo, evidence):
    on_shared = evidence["attachment"]
    for role, expect_internal in (("admin", True), ("liaison_northwind", False)):
        export = review_export(review=mini["review"], user=demo[role])
        results = oscal_validate(oscal_json(export, "assessment-results"), "assessment-results")
        resources = {r.uuid: r for r in results.back_matter.resources}
        files = {r.title: r for r in resources.values() if r.title.startswith("Evidence: ")}
        assert ("Evidence: internal-log.txt" in files) == expect_internal, role
        resource = files["Evidence: transcript-22.txt"]
        (link,) = resource.rlinks
        assert link.hashes[0].value == evidence["sha256"]
        assert link.href.endswith(f"/findings/evidence/{on_shared.pk}/download/")
        (observation,) = [o for o in results.results[0].observations if o.title == mini["shared"].title]
        hrefs = [e.href for e in observation.relevant_evidence if e.href]
        assert hrefs == [f"#{resource.uuid}"], role
        assert "Riley Reviewer" not in oscal_json(export, "assessment-results").decode()
