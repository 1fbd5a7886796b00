"""A finding is corrected in place until it is shared; afterwards each change is a
revision shown as such, to exactly those who saw the finding when it was made."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from findings import services
from findings.models import Finding, FindingCategory, FindingEvent, FindingRevision
from findings.services import FindingError
from notifications.models import Notification
from portal.errors import NotAllowed
from reviews.services import terms_accept

pytestmark = pytest.mark.django_db


def _form(finding, **changes):
    return {
        "title": finding.title, "category": finding.category_id, "severity": finding.severity,
        "description": finding.description, "evidence": finding.evidence, "taxonomy": "AML.T0054", **changes,
    }


@pytest.fixture
def finding(demo):
    review = demo["atlas_mini"]  # NSA and CISA take part
    for role in ("reviewer_nsa", "lead_nsa", "reviewer_cisa", "lead_cisa"):
        terms_accept(review=review, user=demo[role])
    return services.finding_create(
        review_id=review.pk, actor=demo["reviewer_nsa"], title="Jailbreak via role-play",
        category=FindingCategory.objects.first(), severity="high", description="Complies after a role-play prompt.",
        taxonomy=["AML.T0054"],
    )


def test_before_sharing_the_author_corrects_in_place(demo, login, finding):
    client = login(demo["reviewer_nsa"])
    page = client.get(reverse("finding_edit", kwargs={"pk": finding.pk}))
    assert page.status_code == 200 and not page.context["revising"]
    response = client.post(reverse("finding_edit", kwargs={"pk": finding.pk}), _form(finding, severity="critical", title="Role-play jailbreak"))
    assert response.status_code == 302
    after = Finding.objects.get(pk=finding.pk)
    assert (after.title, after.severity, after.description, after.sharing) == (
        "Role-play jailbreak", "critical", "Complies after a role-play prompt.", "internal"
    )
    revision = FindingRevision.objects.get(finding=finding)
    assert (revision.number, revision.after_sharing, revision.sharing, revision.actor) == (1, False, "internal", demo["reviewer_nsa"])
    assert revision.changes == {"title": ["Jailbreak via role-play", "Role-play jailbreak"], "severity": ["High", "Critical"]}
    assert FindingEvent.objects.filter(finding=finding).values_list("name", flat=True).last() == "edit"
    assert AuditEvent.objects.filter(action="finding.edit", target_id=str(finding.pk)).get().payload == {
        "changed": ["severity", "title"], "revision": 1,
    }


def test_after_sharing_a_change_is_a_new_revision_seen_as_such(demo, login, finding):
    services.finding_edit(finding_id=finding.pk, actor=demo["reviewer_nsa"], **{
        **{k: getattr(finding, k) for k in ("title", "category", "severity", "evidence")},
        "description": "Complies after a role-play prompt (internal note).", "taxonomy": ["AML.T0054"],
    })
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="agencies")
    client = login(demo["reviewer_nsa"])
    page = client.get(reverse("finding_edit", kwargs={"pk": finding.pk}))
    assert page.status_code == 200 and page.context["revising"]
    finding.refresh_from_db()
    response = client.post(reverse("finding_edit", kwargs={"pk": finding.pk}), _form(finding, severity="medium"))
    assert response.status_code == 302
    assert Finding.objects.get(pk=finding.pk).severity == "medium"
    assert list(FindingRevision.objects.filter(finding=finding).order_by("number").values_list("number", "after_sharing", "sharing")) == [
        (1, False, "internal"), (2, True, "agencies"),
    ]
    assert FindingRevision.objects.get(finding=finding, number=2).changes == {"severity": ["High", "Medium"]}
    assert FindingEvent.objects.filter(finding=finding).values_list("name", "detail").last() == ("revise", "revision 2: severity")
    # CISA is told of the revision; the company (not shared with it) is not.
    told = set(Notification.objects.filter(verb="finding.revised").values_list("recipient__email", flat=True))
    assert told == {"lead.cisa@agency.example", "reviewer.cisa@agency.example"}
    # The author's agency and the program office see both; CISA only the revision made while it was shared with it.
    for role, shown in (("lead_nsa", [2, 1]), ("admin", [2, 1]), ("reviewer_cisa", [2])):
        page = login(demo[role]).get(reverse("finding_detail", kwargs={"pk": finding.pk}))
        assert [r.number for r in page.context["revisions"]] == shown, role
    cisa_page = page.content.decode()
    assert "Revision 2" in cisa_page and "after sharing" in cisa_page
    # Revision 1's text (what the description was before the internal correction) stays with NSA.
    assert "<del>Complies after a role-play prompt.</del>" not in cisa_page and "Corrected before sharing" not in cisa_page
    assert "edit" not in [e.name for e in page.context["events"]]


def test_company_sees_only_revisions_made_while_shared_with_it(demo, login, finding):
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="agencies")
    base = {k: getattr(finding, k) for k in ("title", "category", "evidence", "description")}
    services.finding_edit(finding_id=finding.pk, actor=demo["lead_nsa"], severity="medium", taxonomy=["AML.T0054"], **base)
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="company")
    services.finding_edit(finding_id=finding.pk, actor=demo["lead_nsa"], severity="low", taxonomy=["AML.T0054"], **base)
    page = login(demo["liaison_northwind"]).get(reverse("finding_detail", kwargs={"pk": finding.pk}))
    assert [r.number for r in page.context["revisions"]] == [2]
    assert "Lee Lead" not in page.content.decode() and "NSA" in page.content.decode()


def test_another_agency_cannot_edit_or_revise(demo, login, finding):
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="agencies")
    for role in ("reviewer_cisa", "lead_cisa"):
        client = login(demo[role])
        assert client.get(reverse("finding_edit", kwargs={"pk": finding.pk})).status_code == 404
        assert client.post(reverse("finding_edit", kwargs={"pk": finding.pk}), _form(finding, severity="low")).status_code == 404
        with pytest.raises(NotAllowed):
            services.finding_edit(finding_id=finding.pk, actor=demo[role], title="X", category=finding.category, severity="low", description="D")
    assert Finding.objects.get(pk=finding.pk).severity == "high"
    assert not FindingRevision.objects.filter(finding=finding).exists()


def test_a_closed_finding_is_no_longer_changed(demo, login, finding):
    services.finding_close(finding_id=finding.pk, actor=demo["lead_nsa"], comment="Not reproducible.")
    client = login(demo["reviewer_nsa"])
    assert client.get(reverse("finding_edit", kwargs={"pk": finding.pk})).status_code == 404
    with pytest.raises(FindingError, match="closed"):
        services.finding_edit(finding_id=finding.pk, actor=demo["reviewer_nsa"], title="X", category=finding.category, severity="low", description="D")
    assert Finding.objects.get(pk=finding.pk).title == "Jailbreak via role-play"


def test_finding_page_query_count_does_not_grow_with_its_revisions(demo, login, finding):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    base = {k: getattr(finding, k) for k in ("title", "category", "evidence", "description")}
    client = login(demo["reviewer_cisa"])
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="agencies")
    counts = []
    for severities in (["low"], ["medium", "critical", "low"]):
        for severity in severities:
            services.finding_edit(finding_id=finding.pk, actor=demo["lead_nsa"], severity=severity, taxonomy=["AML.T0054"], **base)
        client.get(reverse("finding_detail", kwargs={"pk": finding.pk}))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("finding_detail", kwargs={"pk": finding.pk}))
        counts.append((len(response.context["revisions"]), len(ctx)))
    assert [c[0] for c in counts] == [1, 4] and counts[0][1] == counts[1][1], counts
