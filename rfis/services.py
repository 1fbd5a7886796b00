"""Writing information requests: ask, answer, reopen, close.

Each write locks the RFI row, so two people acting on one RFI at once cannot
both move it; a blocking RFI stops and resumes the review's clock
(reviews.services.clock). Company users are told the asking agency, never
the asker's name.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from notifications.services import notification_send
from portal.calendar import add_calendar_days
from portal.errors import NotAllowed, Refused
from reviews.audience import review_audience
from reviews.models import Review
from reviews.services.clock import clock_resume, clock_stop
from reviews.standing import standing_of

from .models import Category, InformationRequest, RfiFollow, RfiMessage, RfiStatus, Side


class RfiError(Refused):
    """A move the RFI's state does not allow; the message says why."""

    code = "invalid_transition"


def _url(rfi) -> str:
    return reverse("rfi_detail", kwargs={"pk": rfi.pk})


def _notify_company(rfi, *, verb: str, title: str) -> None:
    notification_send(recipients=review_audience(review=rfi.review, agencies=False), verb=verb, title=title, url=_url(rfi))


def _notify_agency(rfi, *, verb: str, title: str, exclude=None, agency_ids=None) -> None:
    """The asking agency's people, and those of every agency that followed the
    question (or ``agency_ids``). The asker is in this audience only while they
    can still see the review."""
    if agency_ids is None:
        agency_ids = [rfi.agency_id, *RfiFollow.objects.filter(rfi=rfi).values_list("agency_id", flat=True)]
    recipients = review_audience(review=rfi.review, company=False, agency_ids=agency_ids)
    notification_send(recipients=[u for u in recipients if u != exclude], verb=verb, title=title, url=_url(rfi))


@transaction.atomic
def rfi_create(
    *, review_id: int, actor, subject: str, question: str, due_at: datetime | None = None, blocking: bool = False,
    private: bool = False, category: str = Category.OTHER,
) -> InformationRequest:
    """Asks the company a question, due in PORTAL_RFI_DUE_DAYS days unless ``due_at`` is given.

    Shared by default: every participating agency sees it (labelled with the
    asking agency) and may follow it instead of asking again; ``private``
    keeps it from the other agencies (the company still answers it).

    Side effects: the question opens the thread; a blocking RFI stops the
    review's clock; the company's liaisons and the asking agency's people
    (for a shared question: every participating agency's) are notified;
    audit ``rfi.create``.
    """
    review = Review.objects.select_for_update().select_related("model").get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not standing.may_ask:
        raise NotAllowed("Only the review's participating leads and accepted reviewers may ask, while it is under review.")
    standing.require_material()
    now = timezone.now()
    due_at = due_at or add_calendar_days(now, settings.PORTAL_RFI_DUE_DAYS)
    errors = {}
    if due_at <= now:
        errors["due_at"] = "The due date must be in the future."
    if not subject.strip():
        errors["subject"] = "Give the question a short subject."
    if not question.strip():
        errors["question"] = "Write the question."
    if category not in Category.values:
        errors["category"] = "Choose a category."
    if errors:
        raise ValidationError(errors)
    rfi = InformationRequest(
        review=review, agency_id=actor.agency_id, asked_by=actor, subject=subject.strip(), question=question.strip(),
        due_at=due_at, blocking=blocking, private=private, category=category,
    )
    rfi.full_clean()
    rfi.save()
    RfiMessage.objects.create(rfi=rfi, author=actor, side=Side.AGENCY, kind=RfiMessage.Kind.QUESTION, body=rfi.question)
    if blocking:
        clock_stop(review_id=review.pk, rfi=rfi, actor=actor)
    audit_record(
        action="rfi.create", actor=actor, target=rfi, review=review,
        payload={"subject": rfi.subject, "due_at": rfi.due_at, "blocking": blocking, "private": private, "category": category},
    )
    _notify_company(rfi, verb="rfi.asked", title=f"{review}: {rfi.agency.acronym} asks \"{rfi.subject}\"")
    _notify_agency(rfi, verb="rfi.asked", title=f"{review}: new question \"{rfi.subject}\"", exclude=actor)
    if not private:
        others = review.agencies.exclude(pk=rfi.agency_id).values_list("pk", flat=True)
        if others:
            _notify_agency(
                rfi, verb="rfi.asked", agency_ids=list(others),
                title=f"{review}: {rfi.agency.acronym} asks \"{rfi.subject}\" (follow it if you need the answer too)",
            )
    return rfi


@transaction.atomic
def rfi_follow(*, rfi_id: int, actor) -> RfiFollow:
    """The actor's agency follows another agency's shared question instead of
    asking it again: it sees the answer, and everyone (the company too) sees
    it among the agencies that asked ("also asked by CISA").

    Locks the RFI row. Refused: an agency-private question, the asking
    agency's own question, one the agency already follows, a closed one.
    A blocking question's clock is already stopped once; following changes
    nothing there. Side effects: the company's liaisons are notified (with
    the agency, never the person); audit ``rfi.follow``.
    """
    rfi, standing = _locked(rfi_id, actor)
    if not standing.may_ask:
        raise NotAllowed("Only the review's participating leads and accepted reviewers may follow a question, while it is under review.")
    if rfi.private:
        raise RfiError("This question is private to the agency that asked it.")
    if rfi.agency_id == standing.agency_id:
        raise RfiError("Your agency asked this question.")
    if rfi.status == RfiStatus.CLOSED:
        raise RfiError("This question is closed; ask a new one.")
    if RfiFollow.objects.filter(rfi=rfi, agency_id=standing.agency_id).exists():
        raise RfiError("Your agency already follows this question.")
    follow = RfiFollow(rfi=rfi, agency_id=standing.agency_id, followed_by=actor)
    follow.full_clean()
    follow.save()
    audit_record(action="rfi.follow", actor=actor, target=rfi, review=rfi.review, payload={"agency": follow.agency.acronym})
    _notify_company(rfi, verb="rfi.followed", title=f"{rfi.review}: {follow.agency.acronym} also asks \"{rfi.subject}\"")
    return follow


def _locked(rfi_id: int, actor):
    """The RFI, locked, and the actor's standing on its review read after the lock."""
    rfi = InformationRequest.objects.select_for_update().select_related("review__model", "agency").get(pk=rfi_id)
    standing = standing_of(user=actor, review=rfi.review_id)
    standing.require_material()
    return rfi, standing


def _resume_clock_if_unblocked(rfi, actor) -> None:
    """Resumes the review's clock once no blocking RFI waits on the company any more.

    The review row is locked first, so two answers at once cannot both see
    the other still open."""
    Review.objects.select_for_update().filter(pk=rfi.review_id).first()
    if not InformationRequest.objects.filter(review_id=rfi.review_id, blocking=True, status=RfiStatus.OPEN).exists():
        clock_resume(review_id=rfi.review_id, actor=actor)


@transaction.atomic
def rfi_answer(*, rfi_id: int, actor, body: str, attachments=()) -> InformationRequest:
    """The company answers an open RFI (open → answered).

    Side effects: the answer joins the thread; each attachment becomes a
    document of the review (kind "other", the default marking) linked from
    the answer — a refused file refuses the whole answer, naming the file;
    a blocking RFI resumes the clock (the stopped time extends the window);
    the asking agency is notified; audit ``rfi.answer`` (and
    ``document.upload`` per file).
    """
    rfi, standing = _locked(rfi_id, actor)
    if not standing.may_answer_rfi:
        raise NotAllowed("Only the company's liaisons answer information requests.")
    if rfi.status != RfiStatus.OPEN:
        raise RfiError(f"This request is {rfi.get_status_display().lower()}; reopen it to answer again.")
    if not body.strip():
        raise ValidationError({"body": "Write the answer."})
    rfi.status = RfiStatus.ANSWERED
    rfi.answered_at = timezone.now()
    rfi.full_clean()
    rfi.save()
    message = RfiMessage.objects.create(rfi=rfi, author=actor, side=Side.COMPANY, kind=RfiMessage.Kind.ANSWER, body=body.strip())
    if attachments:
        from documents.models import HandlingMarking
        from documents.services import document_create

        marking = HandlingMarking.objects.filter(is_default=True).first() or HandlingMarking.objects.first()
        for upload in attachments:
            version = document_create(
                review=rfi.review, actor=actor, kind="other", title=f"RFI #{rfi.pk} answer: {upload.name}",
                marking=marking, file=upload, original_name=upload.name,
            )
            message.attachments.add(version.document)
    if rfi.blocking:
        _resume_clock_if_unblocked(rfi, actor)
    audit_record(action="rfi.answer", actor=actor, target=rfi, review=rfi.review, payload={"length": len(body.strip())})
    _notify_agency(rfi, verb="rfi.answered", title=f"{rfi.review}: {rfi.review.company} answered \"{rfi.subject}\"")
    return rfi


@transaction.atomic
def rfi_reopen(*, rfi_id: int, actor, body: str) -> InformationRequest:
    """Either side reopens an answered or closed RFI (→ open), saying why.

    Side effects: the reason joins the thread; a blocking RFI stops the
    clock again; the other side is notified; audit ``rfi.reopen``.
    """
    rfi, standing = _locked(rfi_id, actor)
    side = standing.rfi_side
    if side is None:
        raise NotAllowed("Only the review's participants may reopen a request.")
    if rfi.status == RfiStatus.OPEN:
        raise RfiError("This request is already open.")
    if not standing.in_review:
        raise RfiError("Requests can be reopened only while the review is under way.")
    if not body.strip():
        raise ValidationError({"body": "Say why the request is reopened."})
    previous = rfi.status
    rfi.status = RfiStatus.OPEN
    rfi.closed_at = None
    rfi.full_clean()
    rfi.save()
    RfiMessage.objects.create(rfi=rfi, author=actor, side=side, kind=RfiMessage.Kind.REOPEN, body=body.strip())
    if rfi.blocking:
        clock_stop(review_id=rfi.review_id, rfi=rfi, actor=actor)
    audit_record(action="rfi.reopen", actor=actor, target=rfi, review=rfi.review, payload={"from": previous})
    if side == Side.COMPANY:
        _notify_agency(rfi, verb="rfi.reopened", title=f"{rfi.review}: {rfi.review.company} reopened \"{rfi.subject}\"")
    else:
        _notify_company(rfi, verb="rfi.reopened", title=f"{rfi.review}: {rfi.agency.acronym} reopened \"{rfi.subject}\"")
    return rfi


@transaction.atomic
def rfi_close(*, rfi_id: int, actor, body: str = "") -> InformationRequest:
    """The asking agency (or the program office) closes an RFI (open or answered → closed).

    Side effects: an optional note joins the thread; closing a waiting
    blocking RFI resumes the clock; audit ``rfi.close``.
    """
    rfi, standing = _locked(rfi_id, actor)
    if not standing.may_close_rfi(rfi):
        raise NotAllowed("Only the agency that asked this question, or the program office, closes it.")
    if rfi.status == RfiStatus.CLOSED:
        raise RfiError("This request is already closed.")
    previous = rfi.status
    rfi.status = RfiStatus.CLOSED
    rfi.closed_at = timezone.now()
    rfi.full_clean()
    rfi.save()
    RfiMessage.objects.create(rfi=rfi, author=actor, side=Side.AGENCY, kind=RfiMessage.Kind.CLOSE, body=body.strip())
    if rfi.blocking and previous == RfiStatus.OPEN:
        _resume_clock_if_unblocked(rfi, actor)
    audit_record(action="rfi.close", actor=actor, target=rfi, review=rfi.review, payload={"from": previous})
    return rfi


@transaction.atomic
def rfi_assign(*, rfi_id: int, actor, assignee_id: int | None) -> InformationRequest:
    """The company routes a question to one of its liaisons (or back to all of
    them with ``assignee_id`` None); reminders of its due date then go to that
    liaison. Locks the RFI row. Side effects: the assignee is notified;
    audit ``rfi.assign``."""
    from accounts.models import Role, User

    rfi, standing = _locked(rfi_id, actor)
    if not standing.may_answer_rfi:
        raise NotAllowed("Only the company's liaisons route its questions.")
    assignee = None
    if assignee_id is not None:
        assignee = (
            User.objects.filter(
                pk=assignee_id, is_active=True, membership__role=Role.COMPANY_LIAISON,
                membership__company_id=rfi.review.company_id,
            ).select_related("membership__company").first()
        )
        if assignee is None:
            raise ValidationError({"assignee": "Choose one of the company's active liaisons."})
    rfi.assignee = assignee
    rfi.full_clean()
    rfi.save()
    audit_record(action="rfi.assign", actor=actor, target=rfi, review=rfi.review, payload={"assignee": assignee_id})
    if assignee is not None and assignee != actor:
        notification_send(
            recipients=[assignee], verb="rfi.assigned", url=_url(rfi),
            title=f"{rfi.review}: the question \"{rfi.subject}\" from {rfi.agency.acronym} is yours to answer",
        )
    return rfi


@transaction.atomic
def rfi_publish_faq(*, rfi_id: int, actor) -> InformationRequest:
    """An agency that asked (or followed) an answered, shared question — or the
    program office — publishes it to the review's FAQ: everyone who sees the
    review reads the question and the company's answers there. Locks the RFI
    row. Side effect: audit ``rfi.faq``."""
    rfi, standing = _locked(rfi_id, actor)
    if not standing.may_publish_faq(rfi):
        raise NotAllowed("Only an agency that asked the question, or the program office, publishes it to the FAQ.")
    if rfi.private:
        raise RfiError("A private question stays out of the FAQ.")
    if rfi.answered_at is None:
        raise RfiError("Only an answered question joins the FAQ.")
    if rfi.faq_published_at is not None:
        raise RfiError("This question is in the FAQ already.")
    rfi.faq_published_at = timezone.now()
    rfi.full_clean()
    rfi.save()
    audit_record(action="rfi.faq", actor=actor, target=rfi, review=rfi.review, payload={})
    return rfi
