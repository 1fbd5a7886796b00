"""Findings: recording, visibility per role and sharing level, company responses, anonymity."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from conftest import DEMO_ROLES
from findings import services
from findings.models import DEFAULT_CATEGORIES, Finding, FindingCategory, FindingComment, Sharing
from notifications.models import Notification
from reviews.tests.factories import assign

pytestmark = pytest.mark.django_db


def _category():
    return FindingCategory.objects.get(name="Safeguard bypass")


def _record(demo, actor="reviewer_nsa", review="atlas", **kw):
    kw.setdefault("title", "Jailbreak via role-play")
    kw.setdefault("category", _category())
    kw.setdefault("severity", "critical")
    kw.setdefault("description", "The refusal policy is bypassed.")
    return services.finding_create(review_id=demo[review].pk, actor=demo[actor], **kw)


def test_catalogue_is_seeded(demo):
    assert list(FindingCategory.objects.values_list("name", flat=True)) == DEFAULT_CATEGORIES


def test_demo_atlas_has_one_internal_finding(demo):
    finding = demo["atlas"].findings.get()
    assert finding.sharing == Sharing.INTERNAL and finding.agency == demo["nsa"]


def _visible(demo, role):
    """Titles of Atlas-2's findings the role sees (the demo's Atlas-2 Mini has findings of its own)."""
    return set(Finding.objects.visible_to(demo[role]).filter(review=demo["atlas"]).values_list("title", flat=True))


@pytest.fixture
def shared_world(demo):
    """Atlas-2 with NSA and CISA both taking part: one finding per sharing level, all by NSA."""
    from reviews.models import ReviewAgency

    atlas = demo["atlas"]
    ReviewAgency.objects.create(review=atlas, agency=demo["cisa"])
    from reviews.services import access_grant
    from reviews.services.access import AGENCY_LEAD_PERMS

    for codename in AGENCY_LEAD_PERMS:
        access_grant(review=atlas, codename=codename, group=demo["cisa"].leads_group, actor=demo["admin"], reason="joins")
    assign(atlas, demo["reviewer_cisa"], lead=demo["lead_cisa"])
    from reviews.services import terms_accept

    terms_accept(review=atlas, user=demo["lead_cisa"])  # the lead comments below
    internal = demo["atlas"].findings.get()
    agencies = _record(demo, title="Shared with agencies")
    services.finding_share(finding_id=agencies.pk, actor=demo["lead_nsa"], sharing=Sharing.AGENCIES)
    company = _record(demo, title="Shared with company")
    services.finding_share(finding_id=company.pk, actor=demo["lead_nsa"], sharing=Sharing.COMPANY)
    cisa_own = _record(demo, actor="reviewer_cisa", title="CISA internal")
    return {"internal": internal, "agencies": agencies, "company": company, "cisa_own": cisa_own}


EXPECTED = {
    "admin": {"Autonomous exploitation of a known router CVE", "Shared with agencies", "Shared with company", "CISA internal"},
    "lead_nsa": {"Autonomous exploitation of a known router CVE", "Shared with agencies", "Shared with company"},
    "reviewer_nsa": {"Autonomous exploitation of a known router CVE", "Shared with agencies", "Shared with company"},
    "lead_cisa": {"Shared with agencies", "Shared with company", "CISA internal"},
    "reviewer_cisa": {"Shared with agencies", "Shared with company", "CISA internal"},
    "liaison_northwind": {"Shared with company"},
    "liaison_contoso": set(),
}


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_finding_visibility_per_role_and_sharing_level(shared_world, demo, role):
    assert _visible(demo, role) == EXPECTED[role]


def test_finding_without_severity_is_refused_with_field_message(demo, login):
    with pytest.raises(ValidationError) as exc:
        _record(demo, severity="")
    assert exc.value.message_dict == {"severity": ["Choose a severity."]}
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    response = client.post(
        reverse("review_findings", kwargs={"pk": demo["atlas"].pk}),
        {"title": "T", "category": _category().pk, "description": "D"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["severity"] == ["Choose a severity."]
    assert demo["atlas"].findings.count() == 1


@pytest.mark.parametrize("role", ["admin", "liaison_northwind", "reviewer_cisa", "lead_cisa"])
def test_only_participants_record(demo, role):
    with pytest.raises(PermissionDenied):
        _record(demo, actor=role)


@pytest.mark.parametrize("role", ["admin", "reviewer_nsa", "liaison_northwind"])
def test_only_the_agencys_lead_shares(demo, role):
    finding = demo["atlas"].findings.get()
    with pytest.raises(PermissionDenied):
        services.finding_share(finding_id=finding.pk, actor=demo[role], sharing=Sharing.COMPANY)
    assert Finding.objects.get(pk=finding.pk).sharing == Sharing.INTERNAL


def test_sharing_never_narrows(demo):
    finding = demo["atlas"].findings.get()
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing=Sharing.COMPANY)
    with pytest.raises(services.FindingError):
        services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing=Sharing.AGENCIES)
    assert Finding.objects.get(pk=finding.pk).sharing == Sharing.COMPANY


def test_company_never_sees_author_or_internal_comments(demo, login):
    finding = demo["atlas"].findings.get()
    services.finding_comment(finding_id=finding.pk, actor=demo["lead_nsa"], body="Internal: escalate to CISA?", internal=True)
    services.finding_comment(finding_id=finding.pk, actor=demo["reviewer_nsa"], body="Please explain the safeguards.", internal=False)
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing=Sharing.COMPANY)
    note = Notification.objects.get(verb="finding.shared", recipient=demo["liaison_northwind"])
    assert note.title == f'Atlas-2 2.0 review #{finding.review_id}: NSA shared a high finding "Autonomous exploitation of a known router CVE"'
    services.finding_comment(finding_id=finding.pk, actor=demo["liaison_northwind"], body="Patched in build 2.0.3.", internal=True)
    response = FindingComment.objects.get(body="Patched in build 2.0.3.")
    assert (response.side, response.internal) == ("company", False)
    assert Notification.objects.filter(verb="finding.response", recipient=demo["reviewer_nsa"]).exists()
    client = login(demo["liaison_northwind"])
    for url in (reverse("finding_detail", kwargs={"pk": finding.pk}), reverse("review_findings", kwargs={"pk": demo["atlas"].pk})):
        html = client.get(url).content.decode()
        assert "Autonomous exploitation" in html
        for secret in ("Riley", "Lee Lead", "reviewer.nsa", "lead.nsa", "Internal: escalate"):
            assert secret not in html, (url, secret)
    html = client.get(reverse("finding_detail", kwargs={"pk": finding.pk})).content.decode()
    assert "Please explain the safeguards." in html and "Patched in build 2.0.3." in html
    for n in Notification.objects.filter(recipient=demo["liaison_northwind"]):
        assert "Riley" not in n.title + n.body and "Lee" not in n.title + n.body


def test_company_cannot_comment_on_unshared_finding(demo):
    finding = demo["atlas"].findings.get()
    with pytest.raises(PermissionDenied):
        services.finding_comment(finding_id=finding.pk, actor=demo["liaison_northwind"], body="x")


def test_internal_comment_stays_within_authors_agency(shared_world, demo):
    from reviews.services import terms_accept

    finding = shared_world["agencies"]
    for role in ("lead_nsa", "lead_cisa"):
        terms_accept(review=demo["atlas"], user=demo[role])
    services.finding_comment(finding_id=finding.pk, actor=demo["lead_nsa"], body="NSA only", internal=True)
    services.finding_comment(finding_id=finding.pk, actor=demo["lead_cisa"], body="CISA visible", internal=False)
    seen = lambda role: set(FindingComment.objects.visible_to(demo[role]).filter(finding=finding).values_list("body", flat=True))  # noqa: E731
    assert seen("reviewer_nsa") == {"NSA only", "CISA visible"}
    assert seen("reviewer_cisa") == {"CISA visible"}
    assert seen("liaison_northwind") == set()  # not shared with the company


@pytest.mark.parametrize("size", [1, 3])
def test_finding_list_query_count_at_one_and_three(demo, login, size, django_assert_num_queries):
    for i in range(size - 1):
        _record(demo, title=f"F{i}")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    url = reverse("review_findings", kwargs={"pk": demo["atlas"].pk})
    client.get(url)
    with django_assert_num_queries(FINDING_LIST_QUERIES):
        response = client.get(url)
    assert len(response.context["findings"]) == size


FINDING_LIST_QUERIES = 8  # main's 6, plus the findings' taxonomy ids and the catalogues beside the form
