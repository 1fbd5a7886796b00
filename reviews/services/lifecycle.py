"""Creating reviews and moving them through the lifecycle.

Each transition locks the review row (``select_for_update``) and re-checks
the state machine on the locked row, so of two people acting at once only
the first wins; the second gets a TransitionError naming the new state.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from agencies.models import Agency
from audit.services import audit_record
from companies.models import AIModel
from portal.calendar import add_calendar_days
from portal.errors import NotAllowed, Refused

from .. import hooks, workflow
from ..audience import review_audience
from ..models import OPEN_STATUSES, Review, ReviewAgency, ReviewStatus, ReviewTransition
from ..participations import participations_changed
from ..standing import standing_of

from .access import AGENCY_LEAD_PERMS, LIAISON_PERMS, access_grant, access_revoke_agency_side, access_set_expiry


@transaction.atomic
def review_create(*, actor, model: AIModel, agencies: list[Agency], summary: str = "", access_terms: str = "") -> Review:
    """Drafts a review of one of the actor's company's models.

    Side effects: the company's liaisons group is granted view access (the
    company sees its own reviews for good); the draft is on the timeline; after
    commit, the participations generation moves on (reviews.participations).
    """
    if not (actor.is_company_liaison and actor.company_id == model.company_id):
        raise NotAllowed("Only the company's liaisons may put its model under review.")
    if not agencies:
        raise ValidationError({"agencies": "Choose at least one participating agency."})
    review = Review(
        model=model, company_id=model.company_id, summary=summary.strip(), access_terms=access_terms.strip(), created_by=actor
    )
    review.full_clean()
    review.save()
    ReviewAgency.objects.bulk_create([ReviewAgency(review=review, agency=a) for a in agencies])
    transaction.on_commit(participations_changed)
    for codename in LIAISON_PERMS:
        access_grant(
            review=review, codename=codename, group=model.company.liaisons_group, actor=actor, reason="The company's own review"
        )
    ReviewTransition.objects.create(review=review, name="create", source=ReviewStatus.DRAFT, target=ReviewStatus.DRAFT, actor=actor)
    audit_record(
        action="review.create", actor=actor, target=review, payload={"model": str(model), "agencies": [a.acronym for a in agencies]}
    )
    return review


def _notify(review: Review, *, name: str, actor, recipients, url: bool = True, body: str = "") -> None:
    """Tells everyone concerned that the review changed state (never the actor).
    Texts name the model and the state only, so they are safe for company users."""
    from django.urls import reverse

    from notifications.services import notification_send

    label = {"submit": "was submitted", "open": "is open: its window has started", "close": "was closed", "withdraw": "was withdrawn by the company"}[name]
    if name == "open" and review.window_end:
        body = f"The review window ends {timezone.localtime(review.window_end, timezone.get_default_timezone()):%b %d, %Y %H:%M %Z}."
    notification_send(
        recipients=[u for u in recipients if u.pk != actor.pk],
        verb=f"review.{name}",
        title=f"{review} {label}",
        body=body,
        url=reverse("review_detail", kwargs={"pk": review.pk}) if url else "",
    )


def _transition(*, review_id: int, name: str, actor, comment: str = "") -> tuple[Review, str]:
    """Locks the review, checks the move against the actor's standing read
    under the lock, and records it (timeline and audit)."""
    review = Review.objects.select_for_update().select_related("company").get(pk=review_id)
    transition = workflow.check(review=review, name=name, standing=standing_of(user=actor, review=review))
    source = review.status
    review.status = transition.target
    ReviewTransition.objects.create(
        review=review, name=name, source=source, target=transition.target, actor=actor, comment=comment.strip()
    )
    audit_record(
        action=f"review.{name}",
        actor=actor,
        target=review,
        payload={"from": source, "to": transition.target, "comment": comment.strip()[:500]},
    )
    return review, source


@transaction.atomic
def review_submit(*, review_id: int, actor, comment: str = "") -> Review:
    """Submits a draft. Side effect: each participating agency's leads group
    may now view the review and assign its reviewers."""
    review, _ = _transition(review_id=review_id, name="submit", actor=actor, comment=comment)
    review.submitted_at = timezone.now()
    review.full_clean()
    review.save()
    for participation in review.participations.select_related("agency__leads_group"):
        for codename in AGENCY_LEAD_PERMS:
            access_grant(
                review=review,
                codename=codename,
                group=participation.agency.leads_group,
                actor=actor,
                reason=f"{participation.agency} takes part in the review",
            )
    _notify(review, name="submit", actor=actor, recipients=review_audience(review=review, company=False, admins=True))
    return review


@transaction.atomic
def review_open(*, review_id: int, actor, comment: str = "") -> Review:
    """Opens the window: it starts now and ends PORTAL_REVIEW_WINDOW_DAYS
    calendar days later (same wall-clock time in the portal's zone).

    Side effects: whatever the apps joined to "open" do in the same
    transaction (``reviews.hooks``: readiness gives the review its checklist);
    everyone who sees the review is notified."""
    review, _ = _transition(review_id=review_id, name="open", actor=actor, comment=comment)
    now = timezone.now()
    review.window_start = now
    review.window_end = add_calendar_days(now, settings.PORTAL_REVIEW_WINDOW_DAYS)
    review.full_clean()
    review.save()
    for fn in hooks.after("open"):
        fn(review=review, actor=actor)
    _notify(review, name="open", actor=actor, recipients=review_audience(review=review))
    return review


def unsigned_agencies(review: Review) -> list:
    """The participating agencies that have not signed off ``review``, by acronym."""
    from agencies.models import Agency

    from ..models import SignOff

    signed = SignOff.objects.filter(review=review).values("agency_id")
    return list(Agency.objects.filter(participations__review=review).exclude(pk__in=signed).order_by("acronym"))


def closing_warnings(review: Review, *, unsigned=()) -> list[str]:
    """What is still open as the review closes: agencies that did not sign off or
    have no accepted reviewer, and what the apps joined through ``reviews.hooks.warning``
    report (open RFIs, unshared findings). Shown on the close form, recorded with the close."""
    from agencies.models import Agency
    from portal.statements import cached_values

    from ..models import Assignment, AssignmentStatus

    warnings = []
    if unsigned:
        warnings.append(f"No sign-off from {', '.join(a.acronym for a in unsigned)}.")

    def bare(*, review_id):
        staffed = Assignment.objects.filter(review_id=review_id, status=AssignmentStatus.ACCEPTED).values("agency_id")
        return Agency.objects.filter(participations__review_id=review_id).exclude(pk__in=staffed).order_by("acronym").values_list("acronym", flat=True)

    # Kept compiled (portal.statements): the review page asks on every visit the office may close from.
    for acronym in cached_values(("reviews.closing_warnings.bare",), bare, review_id=review.pk):
        warnings.append(f"{acronym} has no reviewer who accepted the assignment.")
    warnings.extend(hooks.warnings(review))
    return warnings


def close_locked(*, review: Review, actor, outcome_summary: str, recommendations: str = "", comment: str = "", unsigned=()) -> Review:
    """Closes ``review`` (locked and checked by the caller: the program office's
    close or the last agency's sign-off). Records the closing warnings with the close.

    Side effects: timeline, audit ``review.close``; every agency-side grant now
    expires PORTAL_ACCESS_DAYS_AFTER_CLOSE days from now (the company keeps
    access); everyone who sees the review is told."""
    if not (outcome_summary or "").strip():
        raise ValidationError({"outcome_summary": "Summarise the review's outcome before closing it."})
    source = review.status
    warnings = closing_warnings(review, unsigned=unsigned)
    review.status = ReviewStatus.CLOSED
    review.outcome_summary = outcome_summary.strip()
    review.recommendations = (recommendations or "").strip()
    review.closed_at = timezone.now()
    review.closing_warnings = warnings
    review.full_clean()
    review.save()
    ReviewTransition.objects.create(
        review=review, name="close", source=source, target=ReviewStatus.CLOSED, actor=actor, comment=comment.strip()
    )
    audit_record(
        action="review.close",
        actor=actor,
        target=review,
        payload={"from": source, "to": ReviewStatus.CLOSED, "comment": comment.strip()[:500], "warnings": warnings},
    )
    access_set_expiry(
        review=review,
        expires_at=review.closed_at + timedelta(days=settings.PORTAL_ACCESS_DAYS_AFTER_CLOSE),
        actor=actor,
        reason="Review closed",
    )
    for fn in hooks.after("close"):
        fn(review=review, actor=actor)
    _notify(review, name="close", actor=actor, recipients=review_audience(review=review, admins=True), body=comment.strip())
    return review


@transaction.atomic
def review_close(*, review_id: int, actor, outcome_summary: str, recommendations: str = "", comment: str = "") -> Review:
    """The program office closes the review with an outcome summary (required).

    Before the window ends only once every participating agency has signed off
    (the last sign-off closes it by itself); after the window ends also without
    them, with a reason (``comment``) — the record names the agencies that did
    not sign. An agency lead never closes: it would close for the other agencies.
    The state machine refuses while a guard joined to "close" objects
    (``reviews.hooks``: a mandatory readiness criterion unanswered).
    Side effects: see ``close_locked``."""
    review = Review.objects.select_for_update().select_related("company", "model").get(pk=review_id)
    workflow.check(review=review, name="close", standing=standing_of(user=actor, review=review))
    unsigned = unsigned_agencies(review)
    comment = (comment or "").strip()
    if unsigned:
        names = ", ".join(a.acronym for a in unsigned)
        if review.window_end and timezone.now() < review.window_end:
            end = timezone.localtime(review.window_end)
            raise workflow.TransitionError(
                f"The review window ends {end:%b %d, %Y %H:%M %Z}; until then the review closes when every "
                f"participating agency has signed off (still to sign off: {names})."
            )
        if not comment:
            raise ValidationError(
                {"comment": f"Give the reason the review closes without the sign-off of {names}; it is recorded with the close."}
            )
        comment = f"Closed without the sign-off of {names}: {comment}"
    return close_locked(
        review=review, actor=actor, outcome_summary=outcome_summary, recommendations=recommendations, comment=comment,
        unsigned=unsigned,
    )


@transaction.atomic
def review_withdraw(*, review_id: int, actor, reason: str) -> Review:
    """The company withdraws (participation is voluntary).

    Side effect: every agency-side grant is revoked at once; pending
    assignments can no longer be accepted.
    """
    if not reason.strip():
        raise ValidationError({"reason": "Say why the review is withdrawn; the agencies will see it."})
    review, _ = _transition(review_id=review_id, name="withdraw", actor=actor, comment=reason)
    review.withdrawn_at = timezone.now()
    review.withdrawal_reason = reason.strip()
    review.full_clean()
    review.save()
    # Told before their access goes; the notice carries no link, as the review is now out of their scope.
    agency_side = list(review_audience(review=review, company=False))
    access_revoke_agency_side(review=review, actor=actor, reason="Review withdrawn by the company")
    for fn in hooks.after("withdraw"):
        fn(review=review, actor=actor)
    _notify(review, name="withdraw", actor=actor, recipients=agency_side, url=False)
    _notify(review, name="withdraw", actor=actor, recipients=review_audience(review=review, agencies=False, admins=True))
    return review


class DraftError(Refused):
    """A change only a draft allows, asked of a review that is no longer one."""

    code = "not_a_draft"


def _draft_locked(review_id: int, actor, *, doing: str) -> Review:
    """The review, locked; refused unless ``actor`` is its company's liaison and it is still a draft."""
    review = Review.objects.select_for_update().select_related("model", "company").get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not standing.is_company:
        raise NotAllowed(f"Only the company's liaisons may {doing} its reviews.")
    if not standing.may_edit_draft:
        state = review.get_status_display().lower()
        if review.submitted_at:
            state += f" (submitted {timezone.localtime(review.submitted_at):%b %d, %Y})"
        verb = "changed" if doing == "edit" else "deleted"
        advice = " Withdraw it instead if it should not go on." if doing == "delete" and review.status in OPEN_STATUSES else ""
        raise DraftError(f"This review is {state}: only a draft can be {verb}.{advice}")
    return review


@transaction.atomic
def review_update(
    *, review_id: int, actor, model: AIModel, agencies: list[Agency], summary: str = "", access_terms: str = ""
) -> Review:
    """The company's liaison changes a draft: its model (one of the company's), its
    participating agencies, what the agencies should look at, its access terms.
    Refused (``DraftError``) once submitted. Locks the review row.

    Side effects: audit ``review.edit`` naming each changed field with its old and
    new value (the review's field history keeps the rest); nothing when nothing changed;
    when the agencies changed, after commit the participations generation moves on
    (reviews.participations).
    """
    review = _draft_locked(review_id, actor, doing="edit")
    if model.company_id != review.company_id:
        raise ValidationError({"model": "Choose one of your company's models."})
    if not agencies:
        raise ValidationError({"agencies": "Choose at least one participating agency."})
    before = {
        "model": str(review.model), "agencies": sorted(a.acronym for a in review.agencies.all()),
        "summary": review.summary, "access_terms": review.access_terms,
    }
    review.model, review.summary, review.access_terms = model, summary.strip(), access_terms.strip()
    review.full_clean()
    after = {
        "model": str(model), "agencies": sorted(a.acronym for a in agencies),
        "summary": review.summary, "access_terms": review.access_terms,
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        return review
    review.save()
    if "agencies" in changes:
        wanted = {a.pk for a in agencies}
        review.participations.exclude(agency_id__in=wanted).delete()
        present = set(review.participations.values_list("agency_id", flat=True))
        ReviewAgency.objects.bulk_create([ReviewAgency(review=review, agency=a) for a in agencies if a.pk not in present])
        transaction.on_commit(participations_changed)
    audit_record(action="review.edit", actor=actor, target=review, payload={"changes": changes})
    return review


@transaction.atomic
def review_delete(*, review_id: int, actor) -> int:
    """Deletes a draft that was never submitted; returns its id. Refused
    (``DraftError``) once submitted, and while documents were handed over on it
    (they are kept for good: withdraw the draft instead). Locks the review row.

    Side effects: audit ``review.delete`` (the model, the agencies, who created it);
    the draft's grants, participations and timeline go with it (audit events stay).
    """
    review = _draft_locked(review_id, actor, doing="delete")
    if review.submitted_at is not None or review.transitions.exclude(name="create").exists():
        raise DraftError("This draft was submitted once: it cannot be deleted. Withdraw it instead.")
    if review.documents.exists():
        raise DraftError(
            "Documents were uploaded to this draft and documents are never deleted: withdraw the draft instead."
        )
    payload = {
        "model": str(review.model), "agencies": sorted(a.acronym for a in review.agencies.all()),
        "created_at": review.created_at.isoformat(), "created_by": review.created_by.email,
    }
    audit_record(action="review.delete", actor=actor, target=review, payload=payload)
    pk = review.pk
    try:
        with transaction.atomic():
            review.delete()
    except ProtectedError:
        # Something kept for good (an export package …) hangs on the draft: the audit event goes back too.
        raise DraftError("This draft has records that are kept for good (such as an export): withdraw it instead.") from None
    return pk
