"""Routing and categories: the company assigns a question to one of its liaisons
(who is then the one reminded), and an answered question joins the review's FAQ."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import make_user
from notifications.models import Notification
from rfis import services
from rfis.services import RfiError

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_liaison(demo):
    return make_user(role=Role.COMPANY_LIAISON, org=demo["northwind"], email="second@northwind.example", full_name="Sam Second")


def test_company_routes_a_question_and_the_assignee_is_notified(demo, second_liaison, login):
    rfi = demo["atlas_mini"].rfis.get(agency=demo["nsa"])
    client = login(demo["liaison_northwind"])
    page = client.get(reverse("rfi_detail", kwargs={"pk": rfi.pk})).content.decode()
    assert "Sam Second" in page  # the company names its own people
    assert client.post(reverse("rfi_assign", kwargs={"pk": rfi.pk}), {"assignee": second_liaison.pk}).status_code == 302
    rfi.refresh_from_db()
    assert rfi.assignee == second_liaison
    assert Notification.objects.filter(verb="rfi.assigned", recipient=second_liaison).count() == 1
    # Agencies do not see who the company routed it to.
    agency = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas_mini"]])
    assert "Sam Second" not in agency.get(reverse("rfi_detail", kwargs={"pk": rfi.pk})).content.decode()


def test_routing_refuses_someone_who_is_not_the_companys_liaison(demo):
    rfi = demo["atlas_mini"].rfis.get(agency=demo["nsa"])
    for other in (demo["liaison_contoso"], demo["reviewer_nsa"]):
        with pytest.raises(ValidationError) as exc:
            services.rfi_assign(rfi_id=rfi.pk, actor=demo["liaison_northwind"], assignee_id=other.pk)
        assert exc.value.message_dict == {"assignee": ["Choose one of the company's active liaisons."]}
    with pytest.raises(PermissionDenied):
        services.rfi_assign(rfi_id=rfi.pk, actor=demo["lead_nsa"], assignee_id=demo["liaison_northwind"].pk)
    rfi.refresh_from_db()
    assert rfi.assignee is None


def test_the_routed_liaison_is_the_one_reminded(demo, second_liaison):
    from reminders.models import Reminder
    from reminders.services import reminder_sweep

    routed = services.rfi_create(review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], subject="Routed", question="Q?")
    unrouted = services.rfi_create(review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], subject="Unrouted", question="Q?")
    services.rfi_assign(rfi_id=routed.pk, actor=demo["liaison_northwind"], assignee_id=second_liaison.pk)
    reminder_sweep(now=routed.due_at - timedelta(days=1, hours=12))  # "due in 2 days" is owed
    reminded = lambda rfi: set(Reminder.objects.filter(  # noqa: E731
        target_type="rfi", target_id=rfi.pk).values_list("recipient__email", flat=True))
    assert reminded(routed) == {"second@northwind.example"}
    assert reminded(unrouted) == {"liaison@northwind.example", "second@northwind.example"}


@pytest.mark.parametrize("category", ["architecture", "safeguards", "evaluations", "access", "security_practices", "other"])
def test_questions_carry_a_category(demo, category):
    rfi = services.rfi_create(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], subject="S", question="Q", category=category)
    assert rfi.category == category


def test_unknown_category_is_refused_naming_the_field(demo):
    with pytest.raises(ValidationError) as exc:
        services.rfi_create(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], subject="S", question="Q", category="gossip")
    assert exc.value.message_dict == {"category": ["Choose a category."]}


def test_answered_question_joins_the_faq_everyone_on_the_review_reads(demo, login):
    rfi = demo["atlas_mini"].rfis.get(agency=demo["nsa"])
    with pytest.raises(RfiError, match="Only an answered question"):
        services.rfi_publish_faq(rfi_id=rfi.pk, actor=demo["lead_nsa"])
    services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Only the public refusal set.")
    with pytest.raises(PermissionDenied):  # CISA neither asked nor followed it
        services.rfi_publish_faq(rfi_id=rfi.pk, actor=demo["lead_cisa"])
    client = login(demo["lead_nsa"], accept_terms_for=[demo["atlas_mini"]])
    assert client.post(reverse("rfi_publish_faq", kwargs={"pk": rfi.pk})).status_code == 302
    with pytest.raises(RfiError, match="in the FAQ already"):
        services.rfi_publish_faq(rfi_id=rfi.pk, actor=demo["admin"])
    for role in ("liaison_northwind", "reviewer_cisa", "admin"):
        reader = login(demo[role], accept_terms_for=[demo["atlas_mini"]] if role == "reviewer_cisa" else [])
        html = reader.get(reverse("review_faq", kwargs={"pk": demo["atlas_mini"].pk})).content.decode()
        assert "Distillation data for the safeguard layer" in html and "Only the public refusal set." in html, role
        assert ">On-device update channel</a>" not in html  # not published


def test_private_question_stays_out_of_the_faq(demo):
    rfi = services.rfi_create(review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], subject="P", question="Q", private=True)
    services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="A")
    with pytest.raises(RfiError, match="private"):
        services.rfi_publish_faq(rfi_id=rfi.pk, actor=demo["lead_nsa"])
    assert rfi.__class__.objects.get(pk=rfi.pk).faq_published_at is None
