"""Grants and revocations of review permissions.

Every grant goes through guardian's ``assign_perm`` into the direct-FK
tables, gets its metadata (who, when, why, until when) on the same row, and
leaves an ``AccessChange`` record; revocations delete the row and leave a
record too. Callers are the domain services (assignment accepted, review
submitted, withdrawn, closed), never views.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from audit.services import audit_record

from ..models import AccessAction, AccessChange, Review, ReviewGroupObjectPermission, ReviewUserObjectPermission

AGENCY_LEAD_PERMS = ("view_review", "assign_reviewer")
REVIEWER_PERMS = ("view_review",)
LIAISON_PERMS = ("view_review",)


def _rows(*, review: Review, user=None, group: Group | None = None, codename: str | None = None):
    if user is not None:
        qs = ReviewUserObjectPermission.objects.filter(content_object=review, user=user)
    else:
        qs = ReviewGroupObjectPermission.objects.filter(content_object=review, group=group)
    if codename:
        qs = qs.filter(permission__codename=codename)
    return qs


@transaction.atomic
def access_grant(
    *,
    review: Review,
    codename: str,
    actor,
    reason: str,
    user=None,
    group: Group | None = None,
    expires_at: datetime | None = None,
) -> None:
    """Grants ``codename`` on ``review`` to a user or a group (exactly one).

    Idempotent: granting what is already held refreshes nothing and records
    nothing. Side effect: an ``AccessChange`` row for a new grant.
    """
    if (user is None) == (group is None):
        raise ValueError("grant to exactly one of user or group")
    existing = _rows(review=review, user=user, group=group, codename=codename).first()
    if existing is not None and (existing.expires_at is None or existing.expires_at > timezone.now()):
        return
    if existing is not None:
        existing.delete()  # an expired grant is replaced, not silently revived
    assign_perm(f"reviews.{codename}", user or group, review)
    now = timezone.now()
    _rows(review=review, user=user, group=group, codename=codename).update(
        granted_by=actor, granted_at=now, expires_at=expires_at, reason=reason[:300]
    )
    AccessChange.objects.create(
        review=review,
        action=AccessAction.GRANT,
        permission=codename,
        user=user,
        group=group,
        actor=actor,
        reason=reason[:300],
        expires_at=expires_at,
        at=now,
    )
    audit_record(
        action="access.grant",
        actor=actor,
        target=review,
        payload={"permission": codename, "subject": _subject(user, group), "reason": reason[:300], "expires_at": expires_at},
    )


def _subject(user, group) -> str:
    return f"user:{user.pk}" if user is not None else f"group:{group.pk}"


@transaction.atomic
def access_revoke(*, review: Review, actor, reason: str, user=None, group: Group | None = None, codename: str | None = None) -> int:
    """Removes a user's or group's permissions on ``review`` (one, or all).

    Returns how many grants were removed; each leaves an ``AccessChange``.
    """
    rows = list(_rows(review=review, user=user, group=group, codename=codename).select_related("permission"))
    now = timezone.now()
    for row in rows:
        AccessChange.objects.create(
            review=review,
            action=AccessAction.REVOKE,
            permission=row.permission.codename,
            user=user,
            group=group,
            actor=actor,
            reason=reason[:300],
            at=now,
        )
        audit_record(
            action="access.revoke",
            actor=actor,
            target=review,
            payload={"permission": row.permission.codename, "subject": _subject(user, group), "reason": reason[:300]},
        )
    _rows(review=review, user=user, group=group, codename=codename).delete()
    return len(rows)


@transaction.atomic
def access_set_expiry(*, review: Review, expires_at: datetime, actor, reason: str) -> None:
    """Time-boxes every agency-side grant on ``review`` (the company's group keeps its access)."""
    company_group_id = review.company.liaisons_group_id
    users = ReviewUserObjectPermission.objects.filter(content_object=review)
    groups = ReviewGroupObjectPermission.objects.filter(content_object=review).exclude(group_id=company_group_id)
    for row in [*users.select_related("permission"), *groups.select_related("permission")]:
        AccessChange.objects.create(
            review=review,
            action=AccessAction.EXPIRY_SET,
            permission=row.permission.codename,
            user_id=getattr(row, "user_id", None),
            group_id=getattr(row, "group_id", None),
            actor=actor,
            reason=reason[:300],
            expires_at=expires_at,
        )
    audit_record(action="access.expiry_set", actor=actor, target=review, payload={"expires_at": expires_at, "reason": reason[:300]})
    users.update(expires_at=expires_at)
    groups.update(expires_at=expires_at)


@transaction.atomic
def access_revoke_agency_side(*, review: Review, actor, reason: str) -> int:
    """Revokes every grant on ``review`` except the company's own (withdrawal)."""
    company_group_id = review.company.liaisons_group_id
    removed = 0
    for user_id in set(ReviewUserObjectPermission.objects.filter(content_object=review).values_list("user_id", flat=True)):
        from accounts.models import User

        removed += access_revoke(review=review, actor=actor, reason=reason, user=User(pk=user_id))
    group_ids = set(
        ReviewGroupObjectPermission.objects.filter(content_object=review)
        .exclude(group_id=company_group_id)
        .values_list("group_id", flat=True)
    )
    for group_id in group_ids:
        removed += access_revoke(review=review, actor=actor, reason=reason, group=Group(pk=group_id))
    return removed


def access_remove_expired(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Deletes grants whose time box has ended, recording each; returns how many.

    Visibility already ignores expired rows; this keeps the tables small and
    the record explicit. Works in batches so one run never holds a long lock.
    """
    now = now or timezone.now()
    total = 0
    for model, subject in ((ReviewUserObjectPermission, "user_id"), (ReviewGroupObjectPermission, "group_id")):
        while True:
            with transaction.atomic():
                batch = list(
                    model.objects.select_for_update(skip_locked=True)
                    .filter(expires_at__lte=now)
                    .select_related("permission", "content_object")[:batch_size]
                )
                if not batch:
                    break
                AccessChange.objects.bulk_create(
                    AccessChange(
                        review_id=row.content_object_id,
                        action=AccessAction.EXPIRE,
                        permission=row.permission.codename,
                        actor=None,
                        reason="Access period after the review closed has ended",
                        expires_at=row.expires_at,
                        at=now,
                        **{subject: getattr(row, subject)},
                    )
                    for row in batch
                )
                for row in batch:
                    audit_record(
                        action="access.expire",
                        actor=None,
                        actor_label="system",
                        target=row.content_object,
                        payload={"permission": row.permission.codename, "subject": f"{subject[:-3]}:{getattr(row, subject)}"},
                    )
                model.objects.filter(pk__in=[row.pk for row in batch]).delete()
                total += len(batch)
    return total


def reach_counts_compact() -> int:
    """Folds each user's kept reach-count changes (``ReachDelta``) into one row
    (PostgreSQL: ``reviews_reach_delta_compact()``, one statement); returns the
    rows folded, -1 when another compaction holds its lock, 0 elsewhere.

    Grants committing meanwhile add rows this leaves alone, and a count read
    during it sees the rows before or after (the same sum), so it never waits
    on a grant nor a grant on it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT reviews_reach_delta_compact()")
        return int(cursor.fetchone()[0])
