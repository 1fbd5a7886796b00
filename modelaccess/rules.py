"""When a credential may still be revealed: decided at read time, from the grant.

A credential ends with its reviewer's grant on the review: the reviewer
removed (or moved away), their access expired, their agency certifying the
return or destruction of the material, the company withdrawing, the review
closing, or the review window's end plus ``PORTAL_CREDENTIAL_GRACE_HOURS``
passing — and with its endpoint's own window. Every reader (the reveal, the
status table, the API, the sweep) asks ``lapse_reason`` with the facts read
*now*, so an ended grant stops a reveal even before the sweep
(``tasks.end_lapsed_credentials``) or a reviews hook has recorded the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from reviews.models import (
    Assignment,
    AssignmentStatus,
    ReturnCertificate,
    Review,
    ReviewStatus,
    ReviewUserObjectPermission,
)


@dataclass(frozen=True)
class ReviewFacts:
    review_id: int
    status: str
    window_end: datetime | None
    accepted: frozenset[int]  # reviewers whose assignment is accepted
    granted: frozenset[int]  # reviewers holding an unexpired view grant
    active: frozenset[int]  # of those, active accounts
    certified: frozenset[int]  # agencies that certified the return of the material
    agency_names: dict[int, str]


def review_facts(review: Review, *, now: datetime | None = None) -> ReviewFacts:
    """What decides every credential of ``review``, read now (four small queries)."""
    from accounts.models import User

    now = now or timezone.now()
    accepted = set(
        Assignment.objects.filter(review_id=review.pk, status=AssignmentStatus.ACCEPTED).values_list("reviewer_id", flat=True)
    )
    granted = set(
        ReviewUserObjectPermission.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            content_object_id=review.pk,
            permission__codename="view_review",
            user_id__in=accepted,
        ).values_list("user_id", flat=True)
    )
    active = set(User.objects.filter(pk__in=granted, is_active=True).values_list("pk", flat=True))
    certificates = ReturnCertificate.objects.filter(review_id=review.pk).values_list("agency_id", "agency__acronym")
    return ReviewFacts(
        review_id=review.pk,
        status=review.status,
        window_end=review.window_end,
        accepted=frozenset(accepted),
        granted=frozenset(granted),
        active=frozenset(active),
        certified=frozenset(agency_id for agency_id, _ in certificates),
        agency_names=dict(certificates),
    )


def usable_until(facts: ReviewFacts) -> datetime | None:
    if facts.window_end is None:
        return None
    return facts.window_end + timedelta(hours=settings.PORTAL_CREDENTIAL_GRACE_HOURS)


def lapse_reason(credential, facts: ReviewFacts, *, now: datetime | None = None) -> str | None:
    """Why ``credential`` can no longer be revealed, for good (None: it still may be,
    or may be once the review opens). The text is safe for the company to read."""
    now = now or timezone.now()
    if facts.status == ReviewStatus.WITHDRAWN:
        return "the company withdrew the review"
    if credential.agency_id in facts.certified:
        return f"{facts.agency_names[credential.agency_id]} certified the return or destruction of the material"
    if facts.status == ReviewStatus.CLOSED:
        return "the review closed"
    if credential.reviewer_id not in facts.accepted:
        return "the reviewer was taken off the review"
    if credential.reviewer_id not in facts.granted:
        return "the reviewer's access to the review expired"
    if credential.reviewer_id not in facts.active:
        return "the reviewer's account was deactivated"
    end = usable_until(facts)
    if facts.status == ReviewStatus.IN_REVIEW and end is not None and now >= end:
        return "the review window ended"
    until = credential.endpoint.available_until
    if until is not None and now >= until:
        return "the access endpoint's window ended"
    return None


def wait_reason(credential, facts: ReviewFacts, *, now: datetime | None = None) -> str | None:
    """Why a credential that has not lapsed cannot be revealed *yet* (None: it can)."""
    now = now or timezone.now()
    if facts.status != ReviewStatus.IN_REVIEW:
        return "the review window has not opened yet"
    start = credential.endpoint.available_from
    if start is not None and now < start:
        return f"the endpoint opens {timezone.localtime(start):%b %-d, %Y %H:%M %Z}"
    return None
