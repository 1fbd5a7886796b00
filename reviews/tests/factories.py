"""Reviews in each state, built through the services so grants are real."""

from __future__ import annotations

from accounts.models import Role
from accounts.tests.factories import make_user
from agencies.tests.factories import AgencyFactory
from companies.tests.factories import AIModelFactory, CompanyFactory
from reviews import services
from reviews.models import Review


def make_review(*, company=None, agencies=None, status: str = "in_review", liaison=None, admin=None, model=None) -> Review:
    company = company or (model.company if model else CompanyFactory())
    liaison = liaison or company.liaisons_group.user_set.first() or make_user(role=Role.COMPANY_LIAISON, org=company)
    liaison = type(liaison).objects.select_related("membership").get(pk=liaison.pk)
    agencies = agencies or [AgencyFactory()]
    model = model or AIModelFactory(company=company)
    review = services.review_create(actor=liaison, model=model, agencies=agencies)
    if status == "draft":
        return review
    services.review_submit(review_id=review.pk, actor=liaison)
    if status == "submitted":
        return Review.objects.get(pk=review.pk)
    admin = admin or make_user(role=Role.PROGRAM_ADMIN)
    services.review_open(review_id=review.pk, actor=admin)
    if status == "in_review":
        return Review.objects.get(pk=review.pk)
    if status == "withdrawn":
        return services.review_withdraw(review_id=review.pk, actor=liaison, reason="Changed plans")
    if status == "closed":
        return close_review(review, admin)
    raise ValueError(status)


def assign(review: Review, reviewer, *, lead=None, accept: bool = True, terms: bool = True):
    """Invites ``reviewer`` (as a program admin unless ``lead`` is given) and optionally
    accepts, and then (``terms``) accepts the review's access terms, as a reviewer who
    goes on to work on it does."""
    actor = lead or make_user(role=Role.PROGRAM_ADMIN)
    assignment = services.assignment_invite(review=review, reviewer=reviewer, actor=actor)
    if accept:
        assignment = services.assignment_accept(
            assignment_id=assignment.pk, actor=reviewer, has_conflict=False, declaration="No conflict."
        )
        if terms:
            services.terms_accept(review=review, user=reviewer)
    return assignment


def answer_checklist(review: Review, *, answer: str = "met") -> None:
    """Each participating agency's lead answers every item of their agency's checklist (through the service)."""
    from readiness.models import ChecklistItem
    from readiness.services import checklist_answer

    for agency in review.agencies.all():
        lead = agency_lead(agency)
        services.terms_accept(review=review, user=lead)
        for item in ChecklistItem.objects.filter(review=review, agency=agency):
            checklist_answer(item_id=item.pk, actor=lead, answer=answer, note="Checked.")


def end_window(review: Review, *, hours_ago: int = 1) -> Review:
    """Places the review's window so that it ended ``hours_ago`` hours ago."""
    from datetime import timedelta

    from django.utils import timezone

    end = timezone.now() - timedelta(hours=hours_ago)
    Review.objects.filter(pk=review.pk).update(window_start=end - timedelta(days=30), window_end=end)
    review.refresh_from_db()
    return review


def agency_lead(agency):
    """An active lead of ``agency`` (the first one, or a new one)."""
    from accounts.models import User

    lead = User.objects.filter(is_active=True, membership__role=Role.AGENCY_LEAD, membership__agency=agency).order_by("pk").first()
    lead = lead or make_user(role=Role.AGENCY_LEAD, org=agency)
    return User.objects.select_related("membership__agency").get(pk=lead.pk)


def sign_off(review: Review, lead, *, conclusion: str = "no_objection", summary: str = "No blocking risks found.", recommendations: str = ""):
    """``lead`` signs off for their agency (accepting the terms first, as a lead who read the material)."""
    services.terms_accept(review=review, user=lead)
    return services.signoff_record(
        review_id=review.pk, actor=lead, conclusion=conclusion, summary=summary, recommendations=recommendations
    )


def close_review(review: Review, actor=None, *, outcome_summary: str = "No blocking risks found.", recommendations: str = "", **kw) -> Review:
    """Answers the readiness checklist, then every participating agency's lead
    signs off (``actor`` for their own agency when they lead one); the last
    sign-off closes the review. The outcome holds each agency's summary."""
    answer_checklist(review)
    for agency in review.agencies.order_by("acronym"):
        lead = actor if actor is not None and getattr(actor, "agency_id", None) == agency.pk and actor.is_agency_lead else agency_lead(agency)
        sign_off(review, lead, summary=outcome_summary, recommendations=recommendations, **kw)
    return Review.objects.get(pk=review.pk)
