"""Putting reviewers on reviews. Access follows the assignment's state."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_record
from portal.errors import NotAllowed, Refused

from .. import hooks
from ..models import Assignment, AssignmentStatus, Review, ReviewStatus
from ..standing import standing_of
from .access import REVIEWER_PERMS, access_grant, access_revoke


class AssignmentError(Refused):
    """An assignment move that cannot happen; the message says why."""

    code = "invalid_transition"


def _check_may_assign(*, actor, review: Review) -> None:
    if not standing_of(user=actor, review=review).may_manage_access:
        raise NotAllowed("Only program admins and leads of a participating agency may assign reviewers.")


@transaction.atomic
def assignment_invite(*, review: Review, reviewer, actor) -> Assignment:
    """Invites a reviewer of a participating agency to a review.

    A lead may assign only their own agency's reviewers. Side effect: none on
    access until the reviewer accepts.
    """
    review = Review.objects.select_for_update().get(pk=review.pk)
    _check_may_assign(actor=actor, review=review)
    membership = getattr(reviewer, "membership", None)
    if membership is None or membership.role != Role.AGENCY_REVIEWER or not reviewer.is_active:
        raise AssignmentError(f"{reviewer} is not an active agency reviewer, so cannot be assigned.")
    if actor.is_agency_lead and membership.agency_id != actor.agency_id:
        raise AssignmentError(f"{reviewer} belongs to another agency; you may assign only your own agency's reviewers.")
    if not review.participations.filter(agency_id=membership.agency_id).exists():
        raise AssignmentError(f"{membership.agency} does not take part in this review.")
    if review.status not in (ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW):
        raise AssignmentError(f"The review is {review.status_phrase}; reviewers can no longer be assigned.")
    assignment = Assignment(review=review, reviewer=reviewer, agency_id=membership.agency_id, invited_by=actor)
    assignment.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise AssignmentError(f"{reviewer} is already assigned to this review.") from None
    audit_record(action="assignment.invite", actor=actor, target=assignment, review=review, payload={"reviewer": reviewer.email})
    from django.urls import reverse

    from notifications.services import notification_send

    notification_send(
        recipients=[reviewer],
        verb="assignment.invited",
        title=f"{review}: you are asked to take part as a reviewer",
        body="Accept or decline the assignment; access to the material starts when you accept.",
        url=reverse("assignment_detail", kwargs={"pk": assignment.pk}),
    )
    return assignment


def _lock(assignment_id: int) -> Assignment:
    return Assignment.objects.select_for_update().select_related("review", "agency").get(pk=assignment_id)


@transaction.atomic
def assignment_accept(*, assignment_id: int, actor, has_conflict: bool, declaration: str) -> Assignment:
    """The reviewer accepts, declaring no conflict of interest.

    Side effect: the reviewer is granted view access to the review (and so
    its model and material). A declared conflict cannot be accepted.
    """
    assignment = _lock(assignment_id)
    if assignment.reviewer_id != actor.pk:
        raise NotAllowed("Only the invited reviewer may answer this assignment.")
    review = assignment.review
    if review.status == ReviewStatus.WITHDRAWN:
        raise AssignmentError(
            f"The company withdrew this review on {timezone.localtime(review.withdrawn_at):%B %-d, %Y}; there is nothing to accept."
        )
    if review.status == ReviewStatus.CLOSED:
        raise AssignmentError("This review has closed; the invitation can no longer be accepted.")
    if assignment.status != AssignmentStatus.INVITED:
        raise AssignmentError(f"This assignment is already {assignment.get_status_display().lower()}.")
    if has_conflict:
        raise ValidationError({"has_conflict": "With a conflict of interest you cannot accept; decline and say why."})
    if not declaration.strip():
        raise ValidationError({"coi_declaration": "State that you have no conflict of interest with this company."})
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.has_conflict = False
    assignment.coi_declaration = declaration.strip()
    assignment.responded_at = timezone.now()
    assignment.full_clean(validate_constraints=False)
    assignment.save()
    audit_record(action="assignment.accept", actor=actor, target=assignment, review=review, payload={"has_conflict": False})
    for codename in REVIEWER_PERMS:
        access_grant(review=review, codename=codename, user=actor, actor=actor, reason="Assignment accepted")
    return assignment


@transaction.atomic
def assignment_decline(*, assignment_id: int, actor, reason: str) -> Assignment:
    assignment = _lock(assignment_id)
    if assignment.reviewer_id != actor.pk:
        raise NotAllowed("Only the invited reviewer may answer this assignment.")
    if assignment.status != AssignmentStatus.INVITED:
        raise AssignmentError(f"This assignment is already {assignment.get_status_display().lower()}.")
    assignment.status = AssignmentStatus.DECLINED
    assignment.decline_reason = reason.strip()
    assignment.responded_at = timezone.now()
    assignment.save()
    audit_record(action="assignment.decline", actor=actor, target=assignment, payload={"reason": assignment.decline_reason[:300]})
    return assignment


@transaction.atomic
def assignment_remove(*, assignment_id: int, actor, reason: str) -> Assignment:
    """Takes a reviewer off a review. Side effects: their access is revoked now;
    they are told (without a link: the review is out of their scope now), with
    the reason."""
    assignment = _lock(assignment_id)
    _check_may_assign(actor=actor, review=assignment.review)
    if actor.is_agency_lead and assignment.agency_id != actor.agency_id:
        raise NotAllowed("You may remove only your own agency's reviewers.")
    if assignment.status not in (AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED):
        raise AssignmentError(f"This assignment is already {assignment.get_status_display().lower()}.")
    was_accepted = assignment.status == AssignmentStatus.ACCEPTED
    assignment.status = AssignmentStatus.REMOVED
    assignment.removed_at = timezone.now()
    assignment.removed_by = actor
    assignment.removal_reason = reason.strip()
    assignment.save()
    audit_record(action="assignment.remove", actor=actor, target=assignment, payload={"reason": assignment.removal_reason[:300]})
    if was_accepted:
        access_revoke(review=assignment.review, user=assignment.reviewer, actor=actor, reason=reason or "Removed from the review")
    if assignment.reviewer_id != getattr(actor, "pk", None):
        from notifications.services import notification_send

        notification_send(
            recipients=[assignment.reviewer],
            verb="assignment.removed",
            title=f"{assignment.review}: you were taken off the review",
            body=assignment.removal_reason or "Your access to the review has ended.",
        )
    for fn in hooks.after("assignment_remove"):
        fn(review=assignment.review, actor=actor)
    return assignment


def assignments_end_for_departed_reviewer(*, user, actor) -> None:
    """Takes a reviewer who changed agency or role off every review they were
    on (invited or accepted): each assignment is removed through
    ``assignment_remove``, so their grants are revoked with an AccessChange
    record and an audit event. Joined to membership changes through
    ``accounts.hooks`` (reviews.apps)."""
    from ..models import ACTIVE_ASSIGNMENT

    active = list(Assignment.objects.filter(reviewer=user, status__in=ACTIVE_ASSIGNMENT).values_list("pk", flat=True))
    if active and actor is None:
        raise NotAllowed("Only a program admin moves a reviewer who is on reviews to another agency or role.")
    for assignment_id in active:
        assignment_remove(assignment_id=assignment_id, actor=actor, reason="The reviewer moved to another agency or role")
