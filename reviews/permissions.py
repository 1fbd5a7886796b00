"""Who may act on a review; every check here runs on a review already known to be visible."""

from .models import Review, ReviewStatus
from .querysets import review_ids_granted


def can_manage_access(user, review: Review) -> bool:
    """Admins manage any review; a participating agency's lead manages their own reviewers."""
    if user.is_program_admin:
        return True
    if not user.is_agency_lead:
        return False
    # The grant alone answers (one statement; the review is known to exist),
    # asked once per request and review however often a page checks.
    cached = getattr(review, "_may_manage_access", None)
    if cached is None or cached[0] != user.pk:
        cached = (user.pk, bool(review_ids_granted(user, "assign_reviewer", among=[review.pk])))
        review._may_manage_access = cached
    return cached[1]


def can_assign(user, review: Review) -> bool:
    return review.status in (ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW) and can_manage_access(user, review)


def can_create_review(user) -> bool:
    return user.is_company_liaison
