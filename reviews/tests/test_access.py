from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from companies.models import AIModel, Company
from reviews import services
from reviews.models import AccessAction, AccessChange, Assignment, AssignmentStatus, Review, ReviewUserObjectPermission
from reviews.services import AssignmentError

from .factories import assign, close_review, make_review

pytestmark = pytest.mark.django_db


def visible(user):
    return set(Review.objects.visible_to(user).values_list("model__name", flat=True))


def test_demo_visibility_is_exactly_the_contract(demo):
    assert visible(demo["admin"]) == {"Atlas-2", "Helix-1", "Atlas-2 Mini"}
    assert visible(demo["lead_nsa"]) == {"Atlas-2", "Atlas-2 Mini"}
    assert visible(demo["lead_cisa"]) == {"Helix-1", "Atlas-2 Mini"}
    assert visible(demo["reviewer_nsa"]) == {"Atlas-2", "Atlas-2 Mini"}
    assert visible(demo["reviewer_cisa"]) == {"Helix-1", "Atlas-2 Mini"}
    assert visible(demo["liaison_northwind"]) == {"Atlas-2", "Atlas-2 Mini"}
    assert visible(demo["liaison_contoso"]) == {"Helix-1"}


def test_models_and_companies_follow_review_visibility(demo):
    def models(user):
        return set(AIModel.objects.visible_to(user).values_list("name", flat=True))

    def companies(user):
        return set(Company.objects.visible_to(user).values_list("name", flat=True))

    assert models(demo["reviewer_nsa"]) == {"Atlas-2", "Atlas-2 Mini"}
    assert models(demo["reviewer_cisa"]) == {"Helix-1", "Atlas-2 Mini"}
    assert models(demo["liaison_contoso"]) == {"Helix-1"}
    assert companies(demo["reviewer_cisa"]) == {"Contoso Labs", "Northwind AI"}
    assert companies(demo["liaison_contoso"]) == {"Contoso Labs"}
    assert companies(demo["liaison_northwind"]) == {"Northwind AI"}
    assert companies(demo["admin"]) == {"Northwind AI", "Contoso Labs"}


def test_assignments_visible_to_reviewer_lead_admin_never_company(demo):
    atlas_assignment = demo["atlas"].assignments.get()
    mini_nsa = demo["atlas_mini"].assignments.get(agency=demo["nsa"])
    mini_cisa = demo["atlas_mini"].assignments.get(agency=demo["cisa"])
    assert set(Assignment.objects.visible_to(demo["reviewer_nsa"])) == {atlas_assignment, mini_nsa}
    assert set(Assignment.objects.visible_to(demo["lead_nsa"])) == {atlas_assignment, mini_nsa}
    # On the review they share, each agency sees its own reviewer's assignment only.
    assert mini_cisa in set(Assignment.objects.visible_to(demo["lead_cisa"]))
    assert not Assignment.objects.visible_to(demo["lead_cisa"]).filter(pk__in=[atlas_assignment.pk, mini_nsa.pk]).exists()
    assert Assignment.objects.visible_to(demo["liaison_northwind"]).count() == 0
    assert Assignment.objects.visible_to(demo["admin"]).count() == 4


def test_review_list_page_shows_only_visible_reviews_and_count(demo, login):
    client = login(demo["reviewer_cisa"])
    page = client.get(reverse("review_list"))
    assert page.status_code == 200
    assert [r.model.name for r in page.context["page"].object_list] == ["Helix-1", "Atlas-2 Mini"]
    assert page.context["page"].paginator.count == 2
    assert reverse("review_detail", args=[demo["atlas"].pk]) not in page.content.decode()


def test_review_list_search_does_not_reach_out_of_scope(demo, login):
    client = login(demo["reviewer_cisa"])
    page = client.get(reverse("review_list"), {"q": "Atlas"})
    # Atlas-2 Mini (shared with CISA) matches; NSA's Atlas-2 review does not reach the page.
    assert [r.model.name for r in page.context["page"].object_list] == ["Atlas-2 Mini"]
    assert page.context["page"].paginator.count == 1
    assert reverse("review_detail", args=[demo["atlas"].pk]) not in page.content.decode()


def test_accepting_assignment_grants_and_removal_revokes_on_next_request(login, reviewer_of, admin_user):
    agency = AgencyFactory()
    review = make_review(agencies=[agency])
    reviewer = reviewer_of(agency)
    assignment = assign(review, reviewer, accept=False)
    client = login(reviewer, accept_terms_for=[review])
    # Invited but not accepted: no access to the review yet.
    assert client.get(reverse("review_detail", kwargs={"pk": review.pk})).status_code == 404
    services.assignment_accept(assignment_id=assignment.pk, actor=reviewer, has_conflict=False, declaration="None.")
    assert client.get(reverse("review_detail", kwargs={"pk": review.pk})).status_code == 200
    services.assignment_remove(assignment_id=assignment.pk, actor=admin_user, reason="Reassigned")
    assert client.get(reverse("review_detail", kwargs={"pk": review.pk})).status_code == 404
    actions = list(AccessChange.objects.filter(review=review, user=reviewer).order_by("at", "id").values_list("action", "actor_id"))
    assert actions == [(AccessAction.GRANT, reviewer.pk), (AccessAction.REVOKE, admin_user.pk)]


def test_declining_grants_nothing(reviewer_of):
    agency = AgencyFactory()
    review = make_review(agencies=[agency])
    reviewer = reviewer_of(agency)
    assignment = assign(review, reviewer, accept=False)
    services.assignment_decline(assignment_id=assignment.pk, actor=reviewer, reason="Conflict with my prior employer")
    assert not Review.objects.visible_to(reviewer).exists()
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.DECLINED


def test_withdrawal_revokes_agency_access_but_not_the_company(reviewer_of):
    agency = AgencyFactory()
    review = make_review(agencies=[agency])
    reviewer = reviewer_of(agency)
    lead = make_user(role=Role.AGENCY_LEAD, org=agency)
    assign(review, reviewer)
    liaison = review.company.liaisons_group.user_set.get()
    assert review in Review.objects.visible_to(reviewer) and review in Review.objects.visible_to(lead)
    services.review_withdraw(review_id=review.pk, actor=type(liaison).objects.get(pk=liaison.pk), reason="Release postponed")
    assert not Review.objects.visible_to(reviewer).exists()
    assert not Review.objects.visible_to(lead).exists()
    assert list(Review.objects.visible_to(type(liaison).objects.get(pk=liaison.pk))) == [review]


def test_access_expires_after_close_even_before_cleanup(reviewer_of, admin_user, settings, login):
    settings.PORTAL_ACCESS_DAYS_AFTER_CLOSE = 30
    agency = AgencyFactory()
    review = make_review(agencies=[agency])
    reviewer = reviewer_of(agency)
    assign(review, reviewer)
    liaison = type(reviewer).objects.get(pk=review.company.liaisons_group.user_set.get().pk)
    closed_at = timezone.now()
    with time_machine.travel(closed_at, tick=False):
        close_review(review, admin_user)
    url = reverse("review_detail", kwargs={"pk": review.pk})
    with time_machine.travel(closed_at + timedelta(days=29, hours=23, minutes=59), tick=False):
        client = login(reviewer, accept_terms_for=[review])
        assert client.get(url).status_code == 200
    with time_machine.travel(closed_at + timedelta(days=30, seconds=1), tick=False):
        # Same session, next request: the grant row still exists (the clean-up
        # task has not run) but is no longer honoured.
        assert ReviewUserObjectPermission.objects.filter(user=reviewer).exists()
        assert client.get(url).status_code == 404
        assert not Review.objects.visible_to(reviewer).exists()
        assert list(Review.objects.visible_to(liaison)) == [review]


def test_cleanup_task_removes_only_expired_grants_and_records_it(reviewer_of, admin_user):
    from reviews.tasks import remove_expired_grants

    agency = AgencyFactory()
    closed = make_review(agencies=[agency])
    still_open = make_review(agencies=[agency])
    reviewer = reviewer_of(agency)
    assign(closed, reviewer)
    assign(still_open, reviewer)
    close_review(closed, admin_user)
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        removed = remove_expired_grants.apply().get()
        # reviewer grant + the agency leads group grants (view, assign) on the closed review
        assert removed == 3
        assert list(Review.objects.visible_to(reviewer)) == [still_open]
        assert AccessChange.objects.filter(review=closed, action=AccessAction.EXPIRE).count() == 3
        assert remove_expired_grants.apply().get() == 0


def test_assigning_reviewer_of_other_agency_is_refused(reviewer_of):
    nsa, cisa = AgencyFactory(), AgencyFactory()
    review = make_review(agencies=[nsa, cisa])
    lead = make_user(role=Role.AGENCY_LEAD, org=nsa)
    with pytest.raises(AssignmentError, match="another agency"):
        services.assignment_invite(review=review, reviewer=reviewer_of(cisa), actor=lead)
    assert not Assignment.objects.filter(review=review).exists()


def test_assigning_non_reviewer_is_refused(admin_user):
    agency = AgencyFactory()
    review = make_review(agencies=[agency])
    lead = make_user(role=Role.AGENCY_LEAD, org=agency)
    with pytest.raises(AssignmentError, match="not an active agency reviewer"):
        services.assignment_invite(review=review, reviewer=lead, actor=admin_user)


def test_assigning_to_closed_review_is_refused(reviewer_of, admin_user):
    agency = AgencyFactory()
    review = make_review(agencies=[agency], status="closed")
    with pytest.raises(AssignmentError, match="closed"):
        services.assignment_invite(review=review, reviewer=reviewer_of(agency), actor=admin_user)


def test_assigning_from_non_participating_agency_is_refused(reviewer_of, admin_user):
    review = make_review(agencies=[AgencyFactory()])
    with pytest.raises(AssignmentError, match="does not take part"):
        services.assignment_invite(review=review, reviewer=reviewer_of(AgencyFactory()), actor=admin_user)


def test_lead_of_non_participating_agency_cannot_assign(reviewer_of):
    outsider = AgencyFactory()
    review = make_review(agencies=[AgencyFactory()])
    lead = make_user(role=Role.AGENCY_LEAD, org=outsider)
    with pytest.raises(PermissionDenied):
        services.assignment_invite(review=review, reviewer=reviewer_of(outsider), actor=lead)


def test_accepting_after_withdrawal_says_so(reviewer_of, login):
    agency = AgencyFactory()
    review = make_review(agencies=[agency])
    reviewer = reviewer_of(agency)
    assignment = assign(review, reviewer, accept=False)
    liaison = type(reviewer).objects.get(pk=review.company.liaisons_group.user_set.get().pk)
    services.review_withdraw(review_id=review.pk, actor=liaison, reason="Postponed")
    client = login(reviewer)
    response = client.post(
        reverse("assignment_detail", kwargs={"pk": assignment.pk}),
        {"action": "accept", "has_conflict": "no", "coi_declaration": "No conflict."},
        follow=True,
    )
    assert "withdrew this review" in response.content.decode()
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.INVITED
    assert not Review.objects.visible_to(reviewer).exists()


def test_accepting_with_conflict_is_refused(reviewer_of, login):
    agency = AgencyFactory()
    review = make_review(agencies=[agency])
    reviewer = reviewer_of(agency)
    assignment = assign(review, reviewer, accept=False)
    client = login(reviewer)
    response = client.post(
        reverse("assignment_detail", kwargs={"pk": assignment.pk}),
        {"action": "accept", "has_conflict": "yes", "coi_declaration": "I consult for them."},
    )
    assert response.status_code == 200
    assert "has_conflict" in response.context["accept_form"].errors
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.INVITED


def test_another_reviewer_cannot_answer_an_assignment(reviewer_of, login):
    agency = AgencyFactory()
    review = make_review(agencies=[agency])
    reviewer, colleague = reviewer_of(agency), reviewer_of(agency)
    assignment = assign(review, reviewer, accept=False)
    client = login(colleague)
    response = client.post(reverse("assignment_detail", kwargs={"pk": assignment.pk}), {"action": "accept", "has_conflict": "no", "coi_declaration": "x"})
    assert response.status_code == 404
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.INVITED


def test_lead_assigns_through_access_page(demo, login):
    new_reviewer = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"])
    client = login(demo["lead_nsa"])
    response = client.post(reverse("review_access", kwargs={"pk": demo["atlas"].pk}), {"reviewer": new_reviewer.pk})
    assert response.status_code == 302
    assignment = Assignment.objects.get(reviewer=new_reviewer)
    assert (assignment.review, assignment.status, assignment.invited_by) == (demo["atlas"], AssignmentStatus.INVITED, demo["lead_nsa"])


def test_lead_cannot_assign_other_agency_reviewer_by_tampering_form(demo, login, fresh_shared_review):
    client = login(demo["lead_nsa"])
    response = client.post(reverse("review_access", kwargs={"pk": fresh_shared_review.pk}), {"reviewer": demo["reviewer_cisa"].pk})
    assert response.status_code == 200
    assert "reviewer" in response.context["assign_form"].errors
    assert not Assignment.objects.filter(review=fresh_shared_review).exists()


def test_people_with_access_page_lists_grants_with_metadata(demo, login):
    client = login(demo["admin"])
    page = client.get(reverse("review_access", kwargs={"pk": demo["atlas"].pk}))
    assert page.status_code == 200
    users = {(g.user.email, g.permission.codename) for g in page.context["user_grants"]}
    assert users == {("reviewer.nsa@agency.example", "view_review")}
    groups = {(g.group.name, g.permission.codename) for g in page.context["group_grants"]}
    assert groups == {
        ("company:northwind:liaisons", "view_review"),
        ("agency:NSA:leads", "view_review"),
        ("agency:NSA:leads", "assign_reviewer"),
    }
    grant = page.context["user_grants"][0]
    assert grant.granted_by == demo["reviewer_nsa"] and grant.granted_at is not None and grant.expires_at is None


def test_admin_revokes_reviewer_through_page_and_reviewer_gets_404(demo, login, client):
    from django.test import Client

    reviewer_client = Client()
    from conftest import force_login_mfa

    force_login_mfa(reviewer_client, demo["reviewer_nsa"])
    services.terms_accept(review=demo["atlas"], user=demo["reviewer_nsa"])
    url = reverse("review_detail", kwargs={"pk": demo["atlas"].pk})
    assert reviewer_client.get(url).status_code == 200

    admin_client = login(demo["admin"])
    response = admin_client.post(
        reverse("review_access_revoke", kwargs={"pk": demo["atlas"].pk}),
        {"subject": f"user:{demo['reviewer_nsa'].pk}", "reason": "Left the program"},
    )
    assert response.status_code == 302
    assert reviewer_client.get(url).status_code == 404
    assignment = demo["atlas"].assignments.get()
    assert assignment.status == AssignmentStatus.REMOVED and assignment.removal_reason == "Left the program"
    assert AccessChange.objects.filter(user=demo["reviewer_nsa"], action=AccessAction.REVOKE, reason="Left the program").count() == 1


def test_access_terms_gate_material_and_changed_text_asks_again(demo, login):
    reviewer = demo["reviewer_nsa"]
    # The demo reviewer accepted version 1 when the work began; the company then revises the terms.
    services.terms_update(review=demo["atlas"], actor=demo["liaison_northwind"], text="Revised terms.")
    client = login(reviewer)
    url = reverse("review_detail", kwargs={"pk": demo["atlas"].pk})
    page = client.get(url)
    assert page.templates[0].name == "reviews/review_terms.html"
    assert demo["atlas"].summary not in page.content.decode()
    client.post(reverse("review_terms_accept", kwargs={"pk": demo["atlas"].pk}))
    page = client.get(url)
    assert page.templates[0].name == "reviews/review_detail.html"
    services.terms_update(review=demo["atlas"], actor=demo["liaison_northwind"], text="New stricter terms.")
    page = client.get(url)
    assert page.templates[0].name == "reviews/review_terms.html"
    assert "New stricter terms." in page.content.decode()
    acceptance = reviewer.terms_acceptances.get(review=demo["atlas"], version=2)
    assert acceptance.terms_sha256 != reviewer.terms_acceptances.get(review=demo["atlas"], version=1).terms_sha256
    assert not reviewer.terms_acceptances.filter(review=demo["atlas"], version=3).exists()


def test_liaison_does_not_see_reviewer_names_on_review_page(demo, login):
    client = login(demo["liaison_northwind"])
    page = client.get(reverse("review_detail", kwargs={"pk": demo["atlas"].pk})).content.decode()
    assert "reviewer.nsa" not in page
    assert demo["reviewer_nsa"].full_name not in page
    assert "NSA" in page


@pytest.mark.parametrize("role", ["lead_nsa", "reviewer_nsa", "liaison_northwind"])
def test_django_admin_is_404_for_everyone_but_program_admins(demo, login, role):
    client = login(demo[role])
    assert client.get("/admin/").status_code == 404
    assert client.get(f"/admin/reviews/review/{demo['atlas'].pk}/permissions/").status_code == 404


def test_program_admin_reads_grants_in_django_admin_and_changes_them_on_the_access_page(demo, login):
    client = login(demo["admin"])
    page = client.get("/admin/reviews/reviewuserobjectpermission/")
    assert page.status_code == 200
    assert demo["reviewer_nsa"].full_name in page.content.decode()
    # guardian's object-permission pages wrote grants without a record: not offered.
    assert client.get(f"/admin/reviews/review/{demo['atlas'].pk}/permissions/").status_code in (302, 404)


def test_lead_does_not_see_other_agencies_reviewers_on_access_page(demo, login, admin_user):
    # The demo's Atlas-2 Mini: reviewer.nsa and reviewer.cisa both assigned and accepted.
    page = login(demo["lead_nsa"]).get(reverse("review_access", kwargs={"pk": demo["atlas_mini"].pk}))
    assert {g.user.email for g in page.context["user_grants"]} == {"reviewer.nsa@agency.example"}
    assert "reviewer.cisa" not in page.content.decode()


def test_assign_form_offers_reviewer_active_elsewhere(demo, login, fresh_shared_review):
    # reviewer.nsa is active on Atlas-2 and Atlas-2 Mini; that must not hide them from a new review.
    page = login(demo["lead_nsa"]).get(reverse("review_access", kwargs={"pk": fresh_shared_review.pk}))
    assert list(page.context["assign_form"].fields["reviewer"].queryset) == [demo["reviewer_nsa"]]
    page = login(demo["lead_nsa"]).get(reverse("review_access", kwargs={"pk": demo["atlas"].pk}))
    assert list(page.context["assign_form"].fields["reviewer"].queryset) == []


def test_reviewer_dashboard_pending_first_then_sorted(demo, login, fresh_shared_review):
    from .factories import assign

    assign(fresh_shared_review, demo["reviewer_nsa"], accept=False)
    page = login(demo["reviewer_nsa"]).get(reverse("dashboard"), {"sort": "-deadline"})
    rows = [(a.review.model.name, a.status) for a in page.context["page"].object_list]
    # Invitations first; then by deadline, latest first (Atlas-2 Mini ends in 20 days, Atlas-2 in 6).
    assert rows == [("Atlas-3 Preview", "invited"), ("Atlas-2 Mini", "accepted"), ("Atlas-2", "accepted")]


def test_review_list_count_with_filters_counts_the_filtered_rows(admin_user, reviewer_of, login):
    agency = AgencyFactory()
    reviewer = reviewer_of(agency)
    reviews = [make_review(agencies=[agency], admin=admin_user) for _ in range(3)]
    for review in reviews:
        assign(review, reviewer)
    close_review(reviews[0], admin_user)
    client = login(reviewer)
    assert client.get(reverse("review_list")).context["page"].paginator.count == 3
    page = client.get(reverse("review_list"), {"status": "closed"})
    assert page.context["page"].paginator.count == 1
    assert [r.pk for r in page.context["page"].object_list] == [reviews[0].pk]
