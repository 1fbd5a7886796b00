"""Extensions: an agency's lead asks, the company answers, the program office decides.

An extension delays the company's release and taking part is voluntary, so
the company's liaisons consent or object (with a reason) before the program
office decides; the other participating agencies may state their position.
No agency decides its own request. A reviewer asks their own lead through the
portal (``extension_suggest``). One request per review is pending at a time.
An approval moves ``review.window_end`` (the single stored deadline) by the
requested calendar days. Request, answer and decision are on the timeline.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.services import audit_record
from notifications.services import notification_send
from portal.calendar import add_calendar_days
from portal.errors import NotAllowed, Refused

from ..audience import review_audience
from ..models import CompanyAnswer, ExtensionPosition, ExtensionRequest, ExtensionStatus, Review, ReviewStatus, ReviewTransition
from ..standing import standing_of


class ExtensionError(Refused):
    """A request, answer or decision that can no longer be made; the message says why."""

    code = "invalid_transition"


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _check_days_and_reason(days, reason) -> None:
    errors = {}
    if days is None or days < 1:
        errors["days"] = "An extension adds at least one day; it cannot shorten the window."
    if not (reason or "").strip():
        errors["reason"] = "Say why the agencies need more time."
    if errors:
        raise ValidationError(errors)


def _url(review) -> str:
    return reverse("review_detail", kwargs={"pk": review.pk})


@transaction.atomic
def extension_request(*, review_id: int, actor, days: int, reason: str) -> ExtensionRequest:
    """A participating agency's lead asks for ``days`` more days on an in-review window.

    Refused while another request on the review is pending. Side effects:
    timeline ``extension_request``; the company's liaisons (who answer), the
    program admins (who decide) and the other agencies' leads are told; audit
    ``extension.request``.
    """
    review = Review.objects.select_for_update().select_related("model").get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not standing.may_request_extension:
        raise NotAllowed("Only a participating agency's lead asks for an extension, while the review is under way; reviewers ask their lead.")
    standing.require_material()
    _check_days_and_reason(days, reason)
    pending = review.extension_requests.filter(status=ExtensionStatus.PENDING).select_related("agency").first()
    if pending is not None:
        raise ExtensionError(
            f"{pending.agency.acronym}'s request for {_days(pending.days)} is still waiting for its decision; "
            "one request per review is pending at a time."
        )
    agency = actor.membership.agency
    extension = ExtensionRequest(review=review, requested_by=actor, agency=agency, days=days, reason=reason.strip())
    extension.full_clean()
    try:
        with transaction.atomic():
            extension.save()
    except IntegrityError as exc:  # pragma: no cover - guarded by the row lock above
        raise ExtensionError("Another extension request is already pending on this review.") from exc
    ReviewTransition.objects.create(
        review=review, name="extension_request", source=review.status, target=review.status, actor=actor,
        comment=f"{agency.acronym} asks for {_days(days)}: {extension.reason}",
    )
    audit_record(action="extension.request", actor=actor, target=extension, review=review, payload={"days": days})
    title = f"{review}: {agency.acronym} asks for {_days(days)} more"
    notification_send(
        recipients=list(review_audience(review=review, agencies=False, company=True, admins=True)),
        verb="extension.requested",
        title=title,
        body=f"{extension.reason}\n\nThe company consents or objects; the program office then decides.",
        url=_url(review),
    )
    notification_send(
        recipients=list(
            review_audience(review=review, company=False)
            .filter(membership__role=Role.AGENCY_LEAD)
            .exclude(membership__agency_id=agency.pk)
        ),
        verb="extension.requested",
        title=title,
        body=extension.reason,
        url=_url(review),
    )
    return extension


@transaction.atomic
def extension_suggest(*, review_id: int, actor, days: int, reason: str) -> int:
    """An accepted reviewer asks their own agency's leads to request an extension.

    Nothing is requested yet: the leads are told (by name: same agency) and
    decide whether to ask. Returns how many leads were told. Audit ``extension.suggest``.
    """
    review = Review.objects.select_for_update().get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not standing.may_suggest_extension:
        raise NotAllowed("Only an accepted reviewer asks their lead for an extension, while the review is under way.")
    standing.require_material()
    _check_days_and_reason(days, reason)
    leads = list(
        review_audience(review=review, company=False, agency_ids=[actor.agency_id]).filter(membership__role=Role.AGENCY_LEAD)
    )
    if not leads:
        raise ExtensionError("Your agency has no lead on this review to ask; contact the program office.")
    notification_send(
        recipients=leads,
        verb="extension.suggested",
        title=f"{review}: {actor.get_full_name()} asks you to request {_days(days)} more",
        body=reason.strip(),
        url=_url(review),
    )
    audit_record(action="extension.suggest", actor=actor, target=review, payload={"days": days})
    return len(leads)


@transaction.atomic
def extension_answer(*, extension_id: int, actor, consent: bool, reason: str) -> ExtensionRequest:
    """The company's liaison consents to or objects to a pending request, with a reason (once).

    Side effects: timeline ``extension_answer``; the program admins and the
    requesting agency's leads are told; audit ``extension.answer``.
    """
    extension = ExtensionRequest.objects.select_for_update().select_related("agency").get(pk=extension_id)
    review = Review.objects.select_for_update().select_related("model").get(pk=extension.review_id)
    if not standing_of(user=actor, review=review).may_consent_extension:
        raise NotAllowed("Only the company's liaisons answer an extension request, while the review is under way.")
    if extension.status != ExtensionStatus.PENDING:
        raise ExtensionError(f"This request was already {extension.get_status_display().lower()}.")
    if extension.company_answer:
        raise ExtensionError(f"The company already answered: it {extension.get_company_answer_display().lower()}.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give the company's reason; the program office reads it before deciding."})
    extension.company_answer = CompanyAnswer.CONSENT if consent else CompanyAnswer.OBJECT
    extension.company_reason = reason.strip()
    extension.company_answered_by = actor
    extension.company_answered_at = timezone.now()
    extension.full_clean()
    extension.save()
    verb = "consents" if consent else "objects"
    ReviewTransition.objects.create(
        review=review, name="extension_answer", source=review.status, target=review.status, actor=actor,
        comment=f"The company {verb} to {extension.agency.acronym}'s request for {_days(extension.days)}: {extension.company_reason}",
    )
    audit_record(
        action="extension.answer", actor=actor, target=extension, review=review,
        payload={"answer": extension.company_answer, "reason": extension.company_reason[:500]},
    )
    notification_send(
        recipients=[
            *review_audience(review=review, agencies=False, company=False, admins=True),
            *review_audience(review=review, company=False, agency_ids=[extension.agency_id]).filter(membership__role=Role.AGENCY_LEAD),
        ],
        verb="extension.answered",
        title=f"{review}: the company {verb} to {_days(extension.days)} more",
        body=extension.company_reason,
        url=_url(review),
    )
    return extension


@transaction.atomic
def extension_position(*, extension_id: int, actor, supports: bool, note: str = "") -> ExtensionPosition:
    """Another participating agency's lead records the agency's position on a
    pending request (once per agency; the requesting agency's is the request).
    Side effect: audit ``extension.position``."""
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension_id)
    standing = standing_of(user=actor, review=extension.review_id)
    if not (standing.is_participating_lead and standing.in_review):
        raise NotAllowed("Only a participating agency's lead states the agency's position, while the review is under way.")
    if extension.status != ExtensionStatus.PENDING:
        raise ExtensionError(f"This request was already {extension.get_status_display().lower()}.")
    if extension.agency_id == actor.agency_id:
        raise ExtensionError("Your agency asked for this extension; its position is the request.")
    if extension.positions.filter(agency_id=actor.agency_id).exists():
        raise ExtensionError("Your agency has already stated its position on this request.")
    position = ExtensionPosition(
        extension=extension, agency_id=actor.agency_id, supports=supports, note=(note or "").strip(), by=actor
    )
    position.full_clean()
    position.save()
    audit_record(
        action="extension.position", actor=actor, target=extension, review=extension.review,
        payload={"supports": supports, "note": position.note[:500]},
    )
    return position


@transaction.atomic
def extension_decide(
    *, extension_id: int, actor, approve: bool, comment: str = "", without_company: str = ""
) -> ExtensionRequest:
    """Approves or declines a pending request (the program office only).

    Waits for the company's answer unless ``without_company`` records why the
    decision cannot wait. Locks the review and the request, so two admins
    deciding at once cannot both win. Side effects on approval:
    ``review.window_end`` moves by the requested calendar days (timeline
    ``extend``); on decline the timeline records ``extension_decline``.
    Everyone who sees the review is told (reviewers, leads, the company:
    organisations only); audit ``extension.approve|decline``.
    """
    extension = ExtensionRequest.objects.select_for_update().select_related("agency").get(pk=extension_id)
    review = Review.objects.select_for_update().select_related("model").get(pk=extension.review_id)
    if not standing_of(user=actor, review=review).may_decide_extension:
        raise NotAllowed("Only the program office decides extension requests; no agency decides its own.")
    if extension.status != ExtensionStatus.PENDING:
        raise ExtensionError(f"This request was already {extension.get_status_display().lower()}.")
    if review.status != ReviewStatus.IN_REVIEW:
        raise ExtensionError(f"A review that is {review.status_phrase} cannot be extended.")
    without_company = (without_company or "").strip()
    if not extension.company_answer and not without_company:
        raise ValidationError(
            {"without_company": "The company has not answered yet: wait for its answer, or record why the decision cannot wait."}
        )
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.DECLINED
    extension.decided_by = actor
    extension.decided_at = timezone.now()
    extension.decision_comment = (comment or "").strip()
    extension.decided_without_company = "" if extension.company_answer else without_company
    if approve:
        extension.previous_end = review.window_end
        review.window_end = add_calendar_days(review.window_end, extension.days)
        extension.new_end = review.window_end
        review.full_clean()
        review.save(update_fields=["window_end"])
    extension.full_clean()
    extension.save()
    answer = (
        f"the company {'consented' if extension.company_answer == CompanyAnswer.CONSENT else 'objected'}"
        if extension.company_answer
        else f"decided before the company answered: {without_company}"
    )
    ReviewTransition.objects.create(
        review=review,
        name="extend" if approve else "extension_decline",
        source=review.status,
        target=review.status,
        actor=actor,
        comment=(
            f"{'Extended by' if approve else 'Declined:'} {_days(extension.days)} at {extension.agency.acronym}'s request ({answer})."
            + (f" {extension.decision_comment}" if extension.decision_comment else "")
        ),
    )
    audit_record(
        action=f"extension.{'approve' if approve else 'decline'}",
        actor=actor,
        target=extension,
        review=review,
        payload={
            "days": extension.days, "new_end": extension.new_end, "comment": extension.decision_comment[:500],
            "company_answer": extension.company_answer, "without_company": extension.decided_without_company[:500],
        },
    )
    verdict = "approved" if approve else "declined"
    body = extension.decision_comment
    if approve:
        end = timezone.localtime(review.window_end, timezone.get_default_timezone())
        body = f"The review window now ends {end:%b %d, %Y %H:%M %Z}." + (f"\n\n{body}" if body else "")
    notification_send(
        recipients=list(review_audience(review=review)),
        verb=f"extension.{verdict}",
        title=f"{review}: {extension.agency.acronym}'s request for {_days(extension.days)} more was {verdict}",
        body=body,
        url=_url(review),
    )
    return extension
