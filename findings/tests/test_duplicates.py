"""Duplicates across agencies: hints for the program office only, linking, one
merged item for the company, nothing learned by another agency."""

from __future__ import annotations

import pytest
from django.urls import reverse

from findings import selectors, services
from findings.models import Finding, FindingCategory
from findings.services import FindingError
from portal.errors import NotAllowed
from reviews.selectors import standing_get

pytestmark = pytest.mark.django_db

ROLES = ["admin", "lead_nsa", "reviewer_nsa", "lead_cisa", "reviewer_cisa", "liaison_northwind"]


def _pair(demo):
    """The demo's Atlas-2 Mini findings: NSA's internal one and CISA's shared one, both AML.T0054."""
    review = demo["atlas_mini"]
    return review.findings.get(agency=demo["nsa"]), review.findings.get(agency=demo["cisa"])


@pytest.mark.parametrize("role", ROLES)
def test_duplicate_hints_are_the_program_offices_only(demo, role, login):
    nsa, cisa = _pair(demo)
    standing = standing_get(user=demo[role], review=demo["atlas_mini"].pk)
    hints = selectors.duplicate_hints(standing=standing, review=demo["atlas_mini"].pk)
    if role == "admin":
        assert [(a.pk, b.pk, codes) for a, b, codes in hints] == [(nsa.pk, cisa.pk, ["AML.T0054"])]
    else:
        assert hints == []
    client = login(demo[role], accept_terms_for=[demo["atlas_mini"]] if role not in ("admin", "liaison_northwind") else [])
    page = client.get(reverse("review_findings", kwargs={"pk": demo["atlas_mini"].pk})).content.decode()
    assert ("Possible duplicates" in page) == (role == "admin")
    if role in ("lead_cisa", "reviewer_cisa"):
        assert nsa.title not in page  # CISA never learns NSA's unshared finding


def test_a_different_taxonomy_id_or_the_same_agency_is_no_hint(demo):
    review = demo["atlas"]
    services.finding_create(review_id=review.pk, actor=demo["reviewer_nsa"], title="Same agency", category=FindingCategory.objects.first(),
                            severity="low", description="D", taxonomy=["GAI-9"])
    standing = standing_get(user=demo["admin"], review=review.pk)
    assert selectors.duplicate_hints(standing=standing, review=review.pk) == []


def test_linking_merges_for_the_company_once_both_are_shared(demo, login):
    nsa, cisa = _pair(demo)
    with pytest.raises(NotAllowed):
        services.finding_link_duplicate(finding_id=nsa.pk, duplicate_id=cisa.pk, actor=demo["lead_nsa"])
    client = login(demo["admin"])
    response = client.post(reverse("finding_link", kwargs={"pk": nsa.pk}), {"duplicate": cisa.pk})
    assert response.status_code == 302
    assert Finding.objects.get(pk=cisa.pk).duplicate_of_id == nsa.pk
    assert selectors.duplicate_hints(standing=standing_get(user=demo["admin"], review=nsa.review_id), review=nsa.review_id) == []
    # Only CISA's is shared with the company: the company sees it alone (the link does not reveal NSA's).
    services.finding_share(finding_id=cisa.pk, actor=demo["lead_cisa"], sharing="company")
    visible = lambda: set(Finding.objects.visible_to(demo["liaison_northwind"], review=nsa.review_id).values_list("pk", flat=True))  # noqa: E731
    assert visible() == {cisa.pk}
    company = login(demo["liaison_northwind"])
    assert "The same problem" not in company.get(reverse("finding_detail", kwargs={"pk": cisa.pk})).content.decode()
    # Both shared: one item, naming both agencies.
    services.finding_share(finding_id=nsa.pk, actor=demo["lead_nsa"], sharing="company")
    assert visible() == {nsa.pk}
    page = company.get(reverse("finding_detail", kwargs={"pk": nsa.pk})).content.decode()
    assert "Found by NSA, CISA." in page
    assert company.get(reverse("finding_detail", kwargs={"pk": cisa.pk})).status_code == 404
    listing = company.get(reverse("review_findings", kwargs={"pk": nsa.review_id})).content.decode()
    assert f">{nsa.title}</a>" in listing and f">{cisa.title}</a>" not in listing


def test_cisa_does_not_see_the_link_to_nsas_internal_finding(demo, login):
    nsa, cisa = _pair(demo)
    services.finding_link_duplicate(finding_id=nsa.pk, duplicate_id=cisa.pk, actor=demo["admin"])
    client = login(demo["reviewer_cisa"], accept_terms_for=[demo["atlas_mini"]])
    page = client.get(reverse("finding_detail", kwargs={"pk": cisa.pk})).content.decode()
    assert nsa.title not in page and "The same problem" not in page


def test_link_refusals(demo):
    nsa, cisa = _pair(demo)
    other_nsa = services.finding_create(
        review_id=nsa.review_id, actor=demo["reviewer_nsa"], title="Another", category=FindingCategory.objects.first(),
        severity="low", description="D", taxonomy=["AML.T0054"],
    )
    with pytest.raises(FindingError, match="same agency"):
        services.finding_link_duplicate(finding_id=nsa.pk, duplicate_id=other_nsa.pk, actor=demo["admin"])
    services.finding_link_duplicate(finding_id=nsa.pk, duplicate_id=cisa.pk, actor=demo["admin"])
    with pytest.raises(FindingError, match="already linked"):
        services.finding_link_duplicate(finding_id=other_nsa.pk, duplicate_id=cisa.pk, actor=demo["admin"])
    assert Finding.objects.get(pk=cisa.pk).duplicate_of_id == nsa.pk
