"""Extensions: a reviewer or lead asks for more days; a program admin decides.

An approval moves ``review.window_end`` (the single stored deadline) by the
requested calendar days and puts the move on the review's timeline.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from notifications.services import notification_send
from portal.calendar import add_calendar_days
from portal.errors import NotAllowed, Refused

from ..audience import review_audience
from ..models import ExtensionRequest, ExtensionStatus, Review, ReviewStatus, ReviewTransition
from ..standing import standing_of


class ExtensionError(Refused):
    """A decision that can no longer be made; the message says why."""

    code = "invalid_transition"


@transaction.atomic
def extension_request(*, review_id: int, actor, days: int, reason: str) -> ExtensionRequest:
    """Asks for ``days`` more days on an in-review window.

    Side effects: program admins are notified; audit ``extension.request``.
    """
    review = Review.objects.select_for_update().get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not standing.may_request_extension:
        raise NotAllowed("Only the review's participating leads and accepted reviewers may ask for more time, while it is in review.")
    standing.require_material()
    if days is None or days < 1:
        raise ValidationError({"days": "An extension adds at least one day; it cannot shorten the window."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the agencies need more time."})
    extension = ExtensionRequest(review=review, requested_by=actor, agency_id=actor.agency_id, days=days, reason=reason.strip())
    extension.full_clean()
    extension.save()
    audit_record(action="extension.request", actor=actor, target=extension, review=review, payload={"days": days})
    notification_send(
        recipients=review_audience(review=review, agencies=False, company=False, admins=True),
        verb="extension.requested",
        title=f"{review}: {extension.agency} asks for {days} more day{'s' if days != 1 else ''}",
        body=extension.reason,
        url=reverse("review_detail", kwargs={"pk": review.pk}),
    )
    return extension


@transaction.atomic
def extension_decide(*, extension_id: int, actor, approve: bool, comment: str = "") -> ExtensionRequest:
    """Approves or declines a pending request (program admins only).

    Locks the review and the request, so two admins deciding at once cannot
    both win. Side effects on approval: ``review.window_end`` moves by the
    requested calendar days and the timeline records it. The requester and
    the review's audience are notified; audit ``extension.approve|decline``.
    """
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension_id)
    review = Review.objects.select_for_update().select_related("model").get(pk=extension.review_id)
    if not standing_of(user=actor, review=review).may_decide_extension:
        raise NotAllowed("Only program admins decide extension requests.")
    if extension.status != ExtensionStatus.PENDING:
        raise ExtensionError(f"This request was already {extension.get_status_display().lower()}.")
    if review.status != ReviewStatus.IN_REVIEW:
        raise ExtensionError(f"A review that is {review.get_status_display().lower()} cannot be extended.")
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.DECLINED
    extension.decided_by = actor
    extension.decided_at = timezone.now()
    extension.decision_comment = comment.strip()
    if approve:
        extension.previous_end = review.window_end
        review.window_end = add_calendar_days(review.window_end, extension.days)
        extension.new_end = review.window_end
        review.full_clean()
        review.save(update_fields=["window_end"])
        ReviewTransition.objects.create(
            review=review,
            name="extend",
            source=review.status,
            target=review.status,
            actor=actor,
            comment=f"Extended by {extension.days} day{'s' if extension.days != 1 else ''} at {extension.agency}'s request: {extension.reason}",
        )
    extension.full_clean()
    extension.save()
    audit_record(
        action=f"extension.{'approve' if approve else 'decline'}",
        actor=actor,
        target=extension,
        review=review,
        payload={"days": extension.days, "new_end": extension.new_end, "comment": extension.decision_comment[:500]},
    )
    verdict = "approved" if approve else "declined"
    notification_send(
        recipients=[extension.requested_by, *review_audience(review=review, company=False, agency_ids=[extension.agency_id]).filter(membership__role="agency_lead")],
        verb=f"extension.{verdict}",
        title=f"{review}: extension of {extension.days} day{'s' if extension.days != 1 else ''} {verdict}",
        body=extension.decision_comment,
        url=reverse("review_detail", kwargs={"pk": review.pk}),
    )
    if approve:
        notification_send(
            recipients=review_audience(review=review, agencies=False, company=True),
            verb="extension.approved",
            title=f"{review}: the review window was extended by {extension.days} day{'s' if extension.days != 1 else ''}",
            url=reverse("review_detail", kwargs={"pk": review.pk}),
        )
    return extension
