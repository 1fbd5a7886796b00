"""Who is told about a review: the same grants that decide who may see it.

Recipients are read from the review's unexpired grants (direct and through
groups), so an out-of-scope user is never notified about a review they
cannot open. Program admins see every review and are included on request.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User


def review_audience(*, review, agencies: bool = True, company: bool = True, admins: bool = False, agency_ids=None):
    """Active users who can see ``review`` now, filtered by side.

    ``agency_ids`` narrows the agency side to those agencies (e.g. a finding
    that is internal to its author's agency).
    """
    from .models import ReviewGroupObjectPermission, ReviewUserObjectPermission

    now = timezone.now()
    unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    direct = ReviewUserObjectPermission.objects.filter(
        unexpired, content_object=review, permission__codename="view_review"
    ).values("user_id")
    groups = ReviewGroupObjectPermission.objects.filter(
        unexpired, content_object=review, permission__codename="view_review"
    ).values("group_id")
    via_group = User.objects.filter(groups__in=groups).values("pk")
    sides = Q(pk__in=[])
    if agencies:
        agency_side = Q(membership__role__in=[Role.AGENCY_LEAD, Role.AGENCY_REVIEWER])
        if agency_ids is not None:
            agency_side &= Q(membership__agency_id__in=list(agency_ids))
        sides |= agency_side
    if company:
        sides |= Q(membership__role=Role.COMPANY_LIAISON, membership__company_id=review.company_id)
    qs = User.objects.filter(Q(pk__in=direct) | Q(pk__in=via_group), sides, is_active=True)
    if admins:
        qs = User.objects.filter(Q(pk__in=qs.values("pk")) | Q(membership__role=Role.PROGRAM_ADMIN), is_active=True)
    return qs.select_related("membership").order_by("email")
