"""A finding's lifecycle: draft → recorded → shared → company response → agency
retest → closed; every move by every role in every state; retest before closing
a fixed finding; accepted risks reopening on expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from findings import services
from findings.models import Finding, FindingCategory, FindingEvent, FindingStatus
from findings.workflow import FindingTransitionError
from notifications.models import Notification
from portal.errors import NotAllowed

pytestmark = pytest.mark.django_db

ROLES = ["admin", "lead_nsa", "reviewer_nsa", "lead_cisa", "reviewer_cisa", "liaison_northwind"]


def _new(demo, **kw):
    return services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], title="Jailbreak via role-play",
        category=FindingCategory.objects.first(), severity="high", description="The model complies after a role-play prompt.",
        taxonomy=["AML.T0054"], **kw,
    )


def _in_state(demo, state: str) -> Finding:
    """An NSA finding on Atlas-2 Mini (shared by NSA and CISA) in ``state``."""
    finding = _new(demo, draft=state == "draft")
    if state in ("draft", "recorded"):
        return finding
    if state == "closed":
        return services.finding_close(finding_id=finding.pk, actor=demo["lead_nsa"], comment="Not reproducible.")
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="company")
    if state == "shared":
        return Finding.objects.get(pk=finding.pk)
    services.finding_respond(finding_id=finding.pk, actor=demo["liaison_northwind"], response="fixed", rationale="Patched.")
    if state == "responded_fixed":
        return Finding.objects.get(pk=finding.pk)
    result = {"retested_verified": "verified_fixed", "retested_still": "still_present"}[state]
    return services.finding_retest(finding_id=finding.pk, actor=demo["reviewer_cisa"], result=result)


MOVES = {
    "record": lambda demo, f, who: services.finding_record(finding_id=f.pk, actor=demo[who]),
    "respond": lambda demo, f, who: services.finding_respond(finding_id=f.pk, actor=demo[who], response="acknowledged"),
    "retest": lambda demo, f, who: services.finding_retest(finding_id=f.pk, actor=demo[who], result="verified_fixed"),
    "close": lambda demo, f, who: services.finding_close(finding_id=f.pk, actor=demo[who], comment="Done."),
}
NSA_AGENCY = {"lead_nsa": "state", "reviewer_nsa": "state"}
AGENCIES = {**NSA_AGENCY, "lead_cisa": "state", "reviewer_cisa": "state"}
# (state, move) → the outcome per role: "ok", "state" (the finding's state refuses the
# move: FindingTransitionError); a role not listed is refused for its role (NotAllowed).
EXPECTED = {
    ("draft", "record"): {"lead_nsa": "ok", "reviewer_nsa": "ok"},
    ("draft", "respond"): {},
    ("draft", "retest"): NSA_AGENCY,  # internal: CISA may not even see it
    ("draft", "close"): {"admin": "state", "lead_nsa": "state"},
    ("recorded", "record"): NSA_AGENCY,
    ("recorded", "respond"): {},
    ("recorded", "retest"): NSA_AGENCY,
    ("recorded", "close"): {"admin": "ok", "lead_nsa": "ok"},
    ("shared", "record"): {},  # shared: nobody edits or records it any more
    ("shared", "respond"): {"liaison_northwind": "ok"},
    ("shared", "retest"): AGENCIES,  # nothing to retest before the company responds
    ("shared", "close"): {"admin": "ok", "lead_nsa": "ok"},
    ("responded_fixed", "respond"): {"liaison_northwind": "ok"},
    ("responded_fixed", "retest"): {r: "ok" for r in AGENCIES},
    ("responded_fixed", "close"): {"admin": "state", "lead_nsa": "state"},  # the retest comes first
    ("retested_verified", "respond"): {"liaison_northwind": "state"},
    ("retested_verified", "retest"): {r: "ok" for r in AGENCIES},
    ("retested_verified", "close"): {"admin": "ok", "lead_nsa": "ok"},
    ("retested_still", "respond"): {"liaison_northwind": "ok"},
    ("retested_still", "close"): {"admin": "state", "lead_nsa": "state"},
    ("closed", "respond"): {},  # never shared with the company
    ("closed", "retest"): NSA_AGENCY,
    ("closed", "close"): {"admin": "state", "lead_nsa": "state"},
}


@pytest.mark.parametrize("state,move", sorted(EXPECTED))
def test_every_move_by_every_role(demo, state, move):
    for role in ROLES:
        finding = _in_state(demo, state)
        before = (Finding.objects.filter(pk=finding.pk).values_list("status", "response", "retest_result").get(),
                  FindingEvent.objects.filter(finding=finding).count())
        outcome = EXPECTED[(state, move)].get(role, "role")
        if outcome == "ok":
            MOVES[move](demo, finding, role)
            assert FindingEvent.objects.filter(finding=finding).count() == before[1] + 1, (state, move, role)
            continue
        error = NotAllowed if outcome == "role" else FindingTransitionError
        with pytest.raises(error):
            MOVES[move](demo, finding, role)
        after = (Finding.objects.filter(pk=finding.pk).values_list("status", "response", "retest_result").get(),
                 FindingEvent.objects.filter(finding=finding).count())
        assert after == before, (state, move, role)


def test_full_lifecycle_is_recorded_with_actor_time_and_comment(demo):
    finding = _new(demo, draft=True)
    services.finding_record(finding_id=finding.pk, actor=demo["reviewer_nsa"], comment="Reproduced twice.")
    services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="company")
    services.finding_respond(finding_id=finding.pk, actor=demo["liaison_northwind"], response="fixed", rationale="Classifier retrained.")
    services.finding_retest(finding_id=finding.pk, actor=demo["reviewer_cisa"], result="verified_fixed", comment="Set E-120 again: 0/120.")
    services.finding_close(finding_id=finding.pk, actor=demo["lead_nsa"], comment="Fixed and verified.")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED and finding.closed_at is not None
    events = list(FindingEvent.objects.filter(finding=finding).values_list("name", "source", "target", "actor__email", "comment"))
    assert events == [
        ("create", "", "draft", "reviewer.nsa@agency.example", ""),
        ("record", "draft", "recorded", "reviewer.nsa@agency.example", "Reproduced twice."),
        ("share", "recorded", "shared", "lead.nsa@agency.example", ""),
        ("respond", "shared", "responded", "liaison@northwind.example", "Classifier retrained."),
        ("retest", "responded", "retested", "reviewer.cisa@agency.example", "Set E-120 again: 0/120."),
        ("close", "retested", "closed", "lead.nsa@agency.example", "Fixed and verified."),
    ]


def test_fixed_finding_cannot_close_without_a_verifying_retest(demo):
    finding = _in_state(demo, "responded_fixed")
    with pytest.raises(FindingTransitionError, match="an agency must retest it and verify the fix"):
        services.finding_close(finding_id=finding.pk, actor=demo["lead_nsa"], comment="Company says fixed.")
    services.finding_retest(finding_id=finding.pk, actor=demo["reviewer_nsa"], result="still_present")
    with pytest.raises(FindingTransitionError, match="still present"):
        services.finding_close(finding_id=finding.pk, actor=demo["admin"], comment="Closing anyway.")
    # A new response asks for a new retest.
    services.finding_respond(finding_id=finding.pk, actor=demo["liaison_northwind"], response="fixed", rationale="Second patch.")
    with pytest.raises(FindingTransitionError):
        services.finding_close(finding_id=finding.pk, actor=demo["lead_nsa"], comment="Company says fixed.")
    services.finding_retest(finding_id=finding.pk, actor=demo["reviewer_cisa"], result="verified_fixed")
    assert services.finding_close(finding_id=finding.pk, actor=demo["lead_nsa"], comment="Verified.").status == "closed"


def test_the_page_refuses_closing_a_fixed_finding_with_the_reason(demo, login):
    finding = _in_state(demo, "responded_fixed")
    client = login(demo["lead_nsa"], accept_terms_for=[demo["atlas_mini"]])
    page = client.get(reverse("finding_detail", kwargs={"pk": finding.pk})).content.decode()
    assert "Record a retest" in page and "Close the finding" not in page  # closing is not offered yet
    url = reverse("finding_transition", kwargs={"pk": finding.pk, "name": "close"})
    response = client.post(url, {"close-comment": "Company says fixed."}, follow=True)
    assert "an agency must retest it and verify the fix" in response.content.decode()
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.RESPONDED


def test_company_responds_through_its_page_and_sees_the_agency_not_people(demo, login):
    finding = _in_state(demo, "shared")
    client = login(demo["liaison_northwind"])
    page = client.get(reverse("finding_detail", kwargs={"pk": finding.pk})).content.decode()
    assert "Respond" in page and "Riley Reviewer" not in page and "Lee Lead" not in page
    response = client.post(
        reverse("finding_transition", kwargs={"pk": finding.pk, "name": "respond"}),
        {"respond-response": "fix_planned", "respond-fix_planned_for": str(timezone.localdate() + timedelta(days=10))},
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.status, finding.response, finding.fix_planned_for) == (
        "responded", "fix_planned", timezone.localdate() + timedelta(days=10),
    )
    note = Notification.objects.filter(verb="finding.response", recipient=demo["reviewer_nsa"]).latest("id")
    assert "Northwind AI responded" in note.title and "Nora" not in note.title


@pytest.mark.parametrize(
    "kwargs,errors",
    [
        ({"response": "fix_planned"}, {"fix_planned_for": ["Give the date the fix is planned for."]}),
        ({"response": "risk_accepted"}, {"rationale": ["Explain why (a rationale is required for this response)."],
                                         "risk_expires_at": ["Give the date the risk acceptance expires."]}),
        ({"response": "disputed"}, {"rationale": ["Explain why (a rationale is required for this response)."]}),
        ({"response": "maybe"}, {"response": ["Choose a response."]}),
    ],
)
def test_response_needs_its_details_and_changes_nothing_without_them(demo, kwargs, errors):
    finding = _in_state(demo, "shared")
    with pytest.raises(ValidationError) as exc:
        services.finding_respond(finding_id=finding.pk, actor=demo["liaison_northwind"], **kwargs)
    assert exc.value.message_dict == errors
    assert Finding.objects.get(pk=finding.pk).status == "shared"


def test_draft_cannot_be_shared_before_it_is_recorded(demo):
    from findings.services import FindingError

    finding = _new(demo, draft=True)
    with pytest.raises(FindingError, match="Record the draft"):
        services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="agencies")
    assert Finding.objects.get(pk=finding.pk).sharing == "internal"


# --- accepted risks expire --------------------------------------------------------------


def _accept_risk(demo, days=3):
    finding = _in_state(demo, "shared")
    return services.finding_respond(
        finding_id=finding.pk, actor=demo["liaison_northwind"], response="risk_accepted",
        rationale="Only reachable with operator access.", risk_expires_at=timezone.now() + timedelta(days=days),
    )


def test_risk_acceptance_expiry_reopens_and_notifies_once(demo):
    from findings.tasks import reopen_expired_risk_acceptances

    finding = _accept_risk(demo)
    closed = _accept_risk(demo, days=2)
    services.finding_close(finding_id=closed.pk, actor=demo["lead_nsa"], comment="Risk accepted by the company.")
    assert reopen_expired_risk_acceptances() == 0  # not yet
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert reopen_expired_risk_acceptances() == 2
        assert reopen_expired_risk_acceptances() == 0  # once
    for f in (finding, closed):
        f.refresh_from_db()
        assert (f.status, f.response, f.risk_expires_at, f.closed_at) == ("shared", "", None, None)
        event = FindingEvent.objects.filter(finding=f).latest("id")
        assert (event.name, event.actor, event.target) == ("risk_expired", None, "shared")
        recipients = set(Notification.objects.filter(verb="finding.reopened", url=reverse("finding_detail", kwargs={"pk": f.pk}))
                         .values_list("recipient__email", flat=True))
        assert recipients == {
            "lead.nsa@agency.example", "reviewer.nsa@agency.example", "lead.cisa@agency.example",
            "reviewer.cisa@agency.example", "liaison@northwind.example",
        }
    # The company must respond again.
    services.finding_respond(finding_id=finding.pk, actor=demo["liaison_northwind"], response="acknowledged")


def test_expiry_sweep_runs_periodically():
    assert settings.CELERY_BEAT_SCHEDULE["reopen-expired-risk-acceptances"] == {
        "task": "findings.tasks.reopen_expired_risk_acceptances", "schedule": 3600.0,
    }
