"""The one way in: every read of reviews and assignments is scoped here.

Visibility comes from guardian's direct-FK grant tables, read directly
rather than through ``get_objects_for_user`` so that each grant's
``expires_at`` is honoured on every request, and so that the plan is the
fast one: the user's visible ids are resolved first from the grants alone
(an index-only walk of the unique (user|group, permission, object) indexes),
then passed to the review query as one array parameter. An ``OR`` of two
``IN`` subqueries would make PostgreSQL filter every review instead.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from portal.db import AnyOf  # noqa: F401  (registers the field__any_of lookup)


def _unexpired(now):
    return models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)


def review_ids_granted(user, codename: str = "view_review") -> list[int]:
    """Ids of reviews on which ``user`` holds ``codename``, directly or through a group."""
    from .models import ReviewGroupObjectPermission, ReviewUserObjectPermission

    now = timezone.now()
    direct = ReviewUserObjectPermission.objects.filter(
        _unexpired(now), user_id=user.pk, permission__codename=codename, permission__content_type__app_label="reviews"
    ).values_list("content_object_id", flat=True)
    via_group = ReviewGroupObjectPermission.objects.filter(
        _unexpired(now),
        group__user=user.pk,
        permission__codename=codename,
        permission__content_type__app_label="reviews",
    ).values_list("content_object_id", flat=True)
    return list(direct.union(via_group))


def user_may_see_anything(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and getattr(user, "membership", None))


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user_may_see_anything(user):
            return self.none()
        if user.is_program_admin:
            return self.all()
        return self.filter(pk__any_of=review_ids_granted(user, "view_review"))

    def assignable_by(self, user):
        """Reviews on which ``user`` may assign reviewers (admins: every open one)."""
        if not user_may_see_anything(user):
            return self.none()
        if user.is_program_admin:
            return self.all()
        return self.filter(pk__any_of=review_ids_granted(user, "assign_reviewer"))


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Admins see all; a lead sees their agency's assignments on reviews they
        can see; a reviewer sees their own; companies see none (they never
        learn who reviewed their model)."""
        if not user_may_see_anything(user):
            return self.none()
        if user.is_program_admin:
            return self.all()
        if user.is_agency_lead:
            return self.filter(agency_id=user.agency_id, review_id__any_of=review_ids_granted(user, "view_review"))
        if user.is_agency_reviewer:
            return self.filter(reviewer_id=user.pk)
        return self.none()
