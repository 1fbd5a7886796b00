"""Who may act on a review; every check here runs on a review already known to be visible."""

from .models import Review, ReviewStatus


def can_manage_access(user, review: Review) -> bool:
    """Admins manage any review; a participating agency's lead manages their own reviewers."""
    if user.is_program_admin:
        return True
    return user.is_agency_lead and Review.objects.assignable_by(user, among=[review.pk]).exists()


def can_assign(user, review: Review) -> bool:
    return review.status in (ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW) and can_manage_access(user, review)


def can_create_review(user) -> bool:
    return user.is_company_liaison
