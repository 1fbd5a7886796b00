"""Each participating agency's sign-off; the last one closes the review.

No agency acts for another: a lead signs off for their own agency only, once,
while the review is under way and before its window ends. When every
participating agency has signed off the review closes in the same
transaction (its outcome is the agencies' conclusions); a guard joined to
"close" (a mandatory readiness criterion unanswered) refuses that last
sign-off instead, so nothing is half-written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_record
from notifications.services import notification_send
from portal.errors import NotAllowed, Refused

from .. import hooks, workflow
from ..audience import review_audience
from ..models import Review, ReviewStatus, ReviewTransition, SignOff, SignOffConclusion
from ..standing import standing_of
from .lifecycle import close_locked, unsigned_agencies


class SignOffError(Refused):
    """A sign-off that cannot be recorded now; the message says why."""

    code = "invalid_transition"


@transaction.atomic
def signoff_record(*, review_id: int, actor, conclusion: str, summary: str, recommendations: str = "") -> SignOff:
    """Records the actor's agency's conclusion on the review.

    Locks the review row: of two leads of one agency signing at once, one wins.
    Side effects: timeline ``sign_off``, audit ``review.sign_off``; the other
    participating agencies' leads are told; the last sign-off closes the
    review (``close_locked``: everyone who sees it is told, the company included).
    """
    review = Review.objects.select_for_update().select_related("company", "model").get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not (standing.is_agency and standing.is_lead and standing.may_view):
        raise NotAllowed("Only a participating agency's lead signs off, for their own agency.")
    if not standing.agency_participates:
        raise NotAllowed(f"{actor.organisation} does not take part in this review.")
    agency = actor.membership.agency
    if standing.agency_signed_off:
        raise SignOffError(f"{agency.acronym} has already signed off this review.")
    if review.status != ReviewStatus.IN_REVIEW:
        raise SignOffError(f"A review that is {review.status_phrase} cannot be signed off.")
    standing.require_material()
    if review.window_end and timezone.now() >= review.window_end:
        raise SignOffError(
            "The review window has ended; sign-offs are recorded before it ends. "
            "The program office closes the review, naming the agencies that did not sign off."
        )
    errors = {}
    if conclusion not in SignOffConclusion.values:
        errors["conclusion"] = "Choose ready, not ready, no objection or could not complete."
    if not (summary or "").strip():
        errors["summary"] = "Summarise your agency's conclusion; the other agencies and the company read it."
    if errors:
        raise ValidationError(errors)
    sign_off = SignOff(
        review=review, agency=agency, conclusion=conclusion, summary=summary.strip(),
        recommendations=(recommendations or "").strip(), signed_by=actor,
    )
    sign_off.full_clean()
    for guard in hooks.signoff_guards():
        if reason := guard(review, agency.pk, conclusion):
            raise SignOffError(reason)
    remaining = [a for a in unsigned_agencies(review) if a.pk != agency.pk]
    if not remaining:
        # This sign-off closes the review: a guard's objection refuses it now, before anything is written.
        workflow.check_guards(review=review, name="close", prefix="Your sign-off would close the review, but ")
    sign_off.save()
    ReviewTransition.objects.create(
        review=review, name="sign_off", source=review.status, target=review.status, actor=actor,
        comment=f"{agency.acronym}: {sign_off.get_conclusion_display()}. {sign_off.summary}",
    )
    audit_record(
        action="review.sign_off", actor=actor, target=review,
        payload={"agency": agency.acronym, "conclusion": conclusion, "summary": sign_off.summary[:500]},
    )
    others = (
        review_audience(review=review, company=False)
        .filter(membership__role=Role.AGENCY_LEAD)
        .exclude(membership__agency_id=agency.pk)
    )
    notification_send(
        recipients=list(others),
        verb="review.sign_off",
        title=f"{review}: {agency.acronym} signed off ({sign_off.get_conclusion_display().lower()})",
        body=(
            f"Still to sign off: {', '.join(a.acronym for a in remaining)}." if remaining
            else "Every participating agency has signed off; the review is closed."
        ),
        url=reverse("review_detail", kwargs={"pk": review.pk}),
    )
    if not remaining:
        every = list(review.sign_offs.select_related("agency").order_by("agency__acronym"))
        close_locked(
            review=review,
            actor=actor,
            outcome_summary="\n".join(f"{s.agency.acronym}: {s.get_conclusion_display()}. {s.summary}" for s in every),
            recommendations="\n".join(f"{s.agency.acronym}: {s.recommendations}" for s in every if s.recommendations),
            comment="Every participating agency signed off.",
        )
    return sign_off
