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
    """A lead of the review's first agency answers every checklist item (through the service)."""
    from readiness.models import ChecklistItem
    from readiness.services import checklist_answer

    lead = make_user(role=Role.AGENCY_LEAD, org=review.agencies.first())
    services.terms_accept(review=review, user=lead)
    for item in ChecklistItem.objects.filter(review=review):
        checklist_answer(item_id=item.pk, actor=lead, answer=answer, note="Checked.")


def close_review(review: Review, actor, **kw) -> Review:
    """Answers the readiness checklist, then closes with an outcome summary."""
    answer_checklist(review)
    kw.setdefault("outcome_summary", "No blocking risks found.")
    return services.review_close(review_id=review.pk, actor=actor, **kw)
