"""The Standing: one value per (user, review), read in one statement, that
every page, service and the API ask what a user may do on a review."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import DEMO_ROLES
from reviews import selectors, services
from reviews.models import ReviewStatus
from reviews.standing import Side, standing_of

pytestmark = pytest.mark.django_db


# On the shared demo review (Atlas-2 Mini: NSA and CISA, both reviewers accepted, in review).
EXPECTED_ON_MINI = {
    #                    side       acts   ask    manage assign certify upload close  decide_ext
    "admin":             ("program_office", False, False, True, True, False, False, True, True),
    "lead_nsa":          ("agency", True, True, True, True, False, False, False, False),
    "lead_cisa":         ("agency", True, True, True, True, False, False, False, False),
    "reviewer_nsa":      ("agency", True, True, False, False, False, False, False, False),
    "reviewer_cisa":     ("agency", True, True, False, False, False, False, False, False),
    "liaison_northwind": ("company", False, False, False, False, False, True, False, False),
    "liaison_contoso":   ("none", False, False, False, False, False, False, False, False),
}


def _facts(s):
    return (
        s.side.value, s.acts_for_agency, s.may_ask, s.may_manage_access, s.may_assign, s.may_certify, s.may_upload,
        s.may_close, s.may_decide_extension,
    )


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_standing_on_the_shared_review_by_role(demo, role):
    assert _facts(standing_of(user=demo[role], review=demo["atlas_mini"])) == EXPECTED_ON_MINI[role]


def test_standing_is_read_in_one_statement(demo):
    with CaptureQueriesContext(connection) as queries:
        standing = standing_of(user=demo["reviewer_cisa"], review=demo["atlas_mini"])
    assert len(queries) == 1, [q["sql"][:300] for q in queries.captured_queries]
    assert standing.may_view and standing.assignment_accepted and standing.agency_participates


def test_review_page_reads_review_and_standing_together(demo):
    with CaptureQueriesContext(connection) as queries:
        review, standing = selectors.review_page_get(user=demo["lead_cisa"], pk=demo["atlas_mini"].pk)
    assert len(queries) == 1
    assert review.pk == standing.review_id and standing.is_lead and standing.may_manage_access


def test_standing_from_the_page_and_from_a_service_agree(demo):
    """The page reads the facts with the review; a service reads them alone: same answer for every role."""
    for role in DEMO_ROLES:
        for name in ("atlas", "helix", "atlas_mini"):
            user, review = demo[role], demo[name]
            direct = standing_of(user=user, review=review)
            if not direct.may_view and not direct.is_program_office:
                continue
            _, paged = selectors.review_page_get(user=user, pk=review.pk)
            assert paged == direct, (role, name)


def test_a_reviewer_of_another_agency_has_no_standing_on_a_review_they_cannot_see(demo):
    standing = standing_of(user=demo["reviewer_cisa"], review=demo["atlas"])
    assert standing.side is Side.AGENCY and not standing.may_view
    assert not (standing.acts_for_agency or standing.may_ask or standing.may_record_finding or standing.may_request_extension)


def test_terms_gate_is_a_property_of_the_standing(demo):
    services.terms_update(review=demo["atlas_mini"], actor=demo["liaison_northwind"], text="Revised terms.")
    standing = standing_of(user=demo["reviewer_nsa"], review=demo["atlas_mini"])
    assert standing.needs_terms
    from portal.errors import TermsRequired

    with pytest.raises(TermsRequired) as refused:
        standing.require_material()
    assert refused.value.review_id == demo["atlas_mini"].pk
    services.terms_accept(review=demo["atlas_mini"], user=demo["reviewer_nsa"])
    standing_of(user=demo["reviewer_nsa"], review=demo["atlas_mini"]).require_material()
    # Companies and the program office never need the agencies' terms.
    assert not standing_of(user=demo["liaison_northwind"], review=demo["atlas_mini"]).needs_terms
    assert not standing_of(user=demo["admin"], review=demo["atlas_mini"]).needs_terms


def test_expired_grant_ends_the_standing_before_any_cleanup(demo):
    import time_machine
    from django.utils import timezone

    review = demo["atlas"]
    services.access_set_expiry(review=review, expires_at=timezone.now() + timezone.timedelta(hours=1), actor=demo["admin"], reason="x")
    assert standing_of(user=demo["reviewer_nsa"], review=review).acts_for_agency
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=2)):
        later = standing_of(user=demo["reviewer_nsa"], review=review)
    assert not later.may_view and not later.acts_for_agency and not later.may_ask


def test_closed_review_allows_certifying_and_nothing_else_for_a_lead(demo):
    from reviews.tests.factories import close_review

    review = close_review(demo["atlas"], demo["admin"])
    standing = standing_of(user=demo["lead_nsa"], review=review)
    assert standing.status == ReviewStatus.CLOSED
    assert standing.may_certify and not standing.may_ask and not standing.may_record_finding and not standing.may_close
