"""Each role's inbox sections: the querysets (``_reviewer_queries`` …, one
function of "now" per role, so every section's statement is compiled from
the same two builds) and the plans (``_reviewer_plan`` …): each section's
steps (``dashboard.inbox._row_steps``) and how its rows become items."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection
from django.db.models import Count, DateTimeField, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from findings.models import Finding, FindingStatus, RetestResult, Sharing
from portal.db import UnplannedValue
from portal.links import pk_url
from readiness.models import ChecklistItem
from reviews.models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    ClockStop,
    ExtensionPosition,
    ExtensionRequest,
    ExtensionStatus,
    Review,
    ReviewAgency,
    ReviewStatus,
    SignOff,
    TermsAcceptance,
)
from rfis.models import InformationRequest, RfiStatus

from . import (
    ACTIVE,
    RFI_OFFICE_ESCALATION_DAYS,
    SUBMITTED_ESCALATION_DAYS,
    UNCOVERED_ESCALATION_DAYS,
    WINDOW_ENDING_DAYS,
    Item,
    Section,
    _per_moment,
    _row_steps,
)


def _review_label(review) -> str:
    return f"{review.model} review #{review.pk}"


def _running_stop():
    return ClockStop.objects.filter(review=OuterRef("pk"), resumed_at__isnull=True).order_by("-stopped_at").values("stopped_at")[:1]


def _running_stop_of_review():
    return ClockStop.objects.filter(review=OuterRef("review_id"), resumed_at__isnull=True).values("stopped_at")[:1]


def _section(key, heading, order, make, empty_note="", *, queries, site, user, now, only=None, indexed=False):
    """One section's steps (a generator, as ``_row_steps``), returning the Section
    (None when ``only`` names other sections: no query then): the queryset
    ``queries(now)[key]`` read by ``_rows`` (see it for ``indexed``)."""
    if only is not None and key not in only:
        return None
    count, rows = yield from _row_steps(lambda now: queries(now)[key], order, site=(site, key), user=user, now=now, indexed=indexed)
    return Section(key=key, heading=heading, count=count, items=[make(r) for r in rows], empty_note=empty_note)


def _stopped_clocks(user, now, only=None):
    """Reviews in review the user sees whose clock stands (a blocking question
    waits on the company): steps returning their count and items."""
    if only is not None and "stopped" not in only:
        return 0, []

    def stopped(now):
        return (
            Review.objects.visible_to(user)
            .filter(status=ReviewStatus.IN_REVIEW)
            # Driven by the running stops (a few), not by every review in review.
            .filter(pk__in=ClockStop.objects.filter(resumed_at__isnull=True).values("review_id"))
            .annotate(stopped_since=Subquery(_running_stop()))
            .filter(stopped_since__isnull=False)
            .select_related("model")
        )

    count, rows = yield from _row_steps(stopped, ["stopped_since", "id"], site=("stopped",), user=user, now=now)
    return count, [
        Item(
            title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r), due=None, stopped=True,
            note=f"Clock stopped since {timezone.localtime(r.stopped_since):%b %-d, %Y %H:%M}",
        )
        for r in rows
    ]


def _rfi_item(rfi, *, note: str = "", due=True) -> Item:
    return Item(
        title=rfi.subject, url=pk_url("rfi_detail", rfi.pk), review=_review_label(rfi.review),
        due=rfi.due_at if due else None, note=note, stopped=bool(getattr(rfi, "stopped_since", None)),
    )


def _reviewer_queries(user, now, *, indexed: bool) -> dict:
    """The reviewer's sections' querysets at ``now`` (see ``reviewer_inbox``)."""
    accepted_here = Assignment.objects.filter(review=OuterRef("pk"), reviewer_id=user.pk, status=AssignmentStatus.ACCEPTED)
    invitations = (
        Assignment.objects.visible_to(user)
        .filter(reviewer_id=user.pk, status=AssignmentStatus.INVITED, review__status__in=ACTIVE)
        .select_related("review__model", "agency")
    )
    if indexed:
        # The accepted work still owing the current terms (assignment_terms_due_idx).
        terms = (
            Assignment.objects.work_of(user).filter(review_status__in=ACTIVE, terms_accepted=False)
            .select_related("review__model")
        )
    else:
        terms_now = TermsAcceptance.objects.filter(review=OuterRef("pk"), user_id=user.pk, version=OuterRef("access_terms_version"))
        terms = (
            Review.objects.visible_to(user).filter(status__in=ACTIVE).filter(Exists(accepted_here), ~Exists(terms_now))
            .select_related("model")
        )
    answered = (
        InformationRequest.objects.visible_to(user, material=True)
        .filter(asked_by_id=user.pk, status=RfiStatus.ANSWERED)
        .select_related("review__model")
    )
    my_reviews = Review.objects.visible_to(user).filter(status=ReviewStatus.IN_REVIEW).filter(Exists(accepted_here))
    # Asked per review (EXISTS, then a count for the rows shown) rather than
    # grouping every review of the reviewer's to keep those with open items: a
    # reviewer on thousands of reviews with nothing left costs a probe each.
    open_items = ChecklistItem.objects.visible_to(user, material=True).filter(answer="", review_id=OuterRef("pk")).order_by()
    checklist = (
        my_reviews.filter(Exists(open_items))
        .annotate(open_items=Subquery(open_items.values("review_id").annotate(n=Count("pk")).values("n")))
        .select_related("model")
    )
    # The reviewer's assignments rather than their reviews: a reviewer on
    # thousands of reviews in review walked every review ending soon to find
    # theirs (10-30 ms at bench scale). On PostgreSQL the review's status and
    # deadline are copied onto the assignment (reviews/0012, 0022) and read
    # off one index in the section's order.
    ending_by = now + timedelta(days=WINDOW_ENDING_DAYS)
    if indexed:
        # The bound out of the planner's view (portal.db.UnplannedValue): the
        # walk stops after the section's rows wherever it lies, and in view it
        # made PostgreSQL plan this statement again on every visit.
        near = {"review_status": ReviewStatus.IN_REVIEW, "review_window_end__lte": UnplannedValue(ending_by, DateTimeField())}
    else:
        near = {"review__status": ReviewStatus.IN_REVIEW, "review__window_end__lte": ending_by}
    ending = (
        Assignment.objects.work_of(user).filter(**near)
        .annotate(stopped_since=Subquery(_running_stop_of_review()))
        .select_related("review__model")
    )
    return {"assignments": invitations, "terms": terms, "rfis_answered": answered, "checklist": checklist, "window_ending": ending}


# ------------------------------------------------------------------ reviewer
def _reviewer_plan(user, now: datetime, only: set[str] | None) -> list:
    """The reviewer's sections' steps and the stopped clocks' (``_inbox``)."""
    answer_days = timedelta(days=settings.PORTAL_ASSIGNMENT_ANSWER_DAYS)
    # On PostgreSQL the terms and window-ending sections read the reviewer's
    # assignments, which carry their review's status, deadline and terms
    # (triggers: reviews/0012, 0022, 0026), off an index in the section's order.
    indexed = connection.vendor == "postgresql"
    queries = _per_moment(lambda now: _reviewer_queries(user, now, indexed=indexed))
    sec = partial(_section, queries=queries, site="reviewer", user=user, now=now, only=only)
    terms_order = ["review_window_end", "review_id"] if indexed else ["window_end", "id"]
    ending_order = ["review_window_end", "review_id"] if indexed else ["review__window_end", "review_id"]

    def terms_item(row):
        r = row.review if isinstance(row, Assignment) else row
        return Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r), due=r.window_end,
                    note="The review's material opens once you accept its terms")

    return [*[
        sec(
            "assignments", "Answer your assignments", ["invited_at", "id"],
            lambda a: Item(
                title=_review_label(a.review), url=pk_url("assignment_detail", a.pk),
                review=_review_label(a.review), due=a.invited_at + answer_days, note=f"Asked by {a.agency.acronym}: accept or decline",
            ),
        ),
        sec("terms", "Accept the access terms", terms_order, terms_item, indexed=indexed),
        sec(
            "rfis_answered", "Read the answers to your questions", ["answered_at", "id"],
            lambda rfi: _rfi_item(rfi, due=False, note=f"Answered {timezone.localtime(rfi.answered_at):%b %-d, %Y}; close it or ask again"),
        ),
        sec(
            "checklist", "Finish the readiness checklist", ["window_end", "id"],
            lambda r: Item(
                title=_review_label(r), url=pk_url("review_checklist", r.pk), review=_review_label(r),
                due=r.window_end, note=f"{r.open_items} item{'s' if r.open_items != 1 else ''} open",
            ),
        ),
        sec(
            "window_ending", "Windows ending soon", ending_order,
            lambda a: Item(
                title=_review_label(a.review), url=a.review.get_absolute_url(), review=_review_label(a.review),
                due=a.review.window_end, stopped=a.stopped_since is not None,
                note="Clock stopped: the end moves by the time it stands" if a.stopped_since else "Record your findings before the end",
            ),
            indexed=indexed,  # assignment_work_idx
        ),
    ], _stopped_clocks(user, now, only)]


# ---------------------------------------------------------------------- lead
def _lead_queries(user, now, *, indexed: bool) -> dict:
    """The lead's sections' querysets at ``now`` (see ``lead_inbox``)."""
    agency_id = user.agency_id
    answer_days = timedelta(days=settings.PORTAL_ASSIGNMENT_ANSWER_DAYS)
    participating = Exists(ReviewAgency.objects.filter(review=OuterRef("pk"), agency_id=agency_id))
    mine = Review.objects.visible_to(user).filter(participating)
    if indexed:
        # The agency's participations rather than its reviews: each carries the
        # review's status and dates and its count of invited and accepted
        # assignments (kept by triggers, reviews/0018 and 0024), so both
        # sections walk a partial index in their own order and stop at ten.
        # Joining the agency's reviews to sort them cost 15-25 ms for a lead
        # whose agency has 1,667 uncovered reviews (bench scale).
        own = ReviewAgency.objects.visible_to(user).filter(agency_id=agency_id).select_related("review__model")
        uncovered = own.filter(active_assignments=0, review_status__in=ACTIVE)
        signed_here = Exists(SignOff.objects.filter(review=OuterRef("review_id"), agency_id=agency_id))
        sign_offs = (
            own.filter(review_status=ReviewStatus.IN_REVIEW).filter(~signed_here)
            .annotate(stopped_since=Subquery(_running_stop_of_review()))
        )
    else:
        covered = Exists(Assignment.objects.filter(review=OuterRef("pk"), agency_id=agency_id, status__in=ACTIVE_ASSIGNMENT))
        signed = Exists(SignOff.objects.filter(review=OuterRef("pk"), agency_id=agency_id))
        uncovered = mine.filter(status__in=ACTIVE).filter(~covered).select_related("model")
        sign_offs = (
            mine.filter(status=ReviewStatus.IN_REVIEW).filter(~signed)
            .annotate(stopped_since=Subquery(_running_stop()))
            .select_related("model")
        )
    positioned = Exists(ExtensionPosition.objects.filter(extension=OuterRef("pk"), agency_id=agency_id))
    extensions = (
        ExtensionRequest.objects.visible_to(user)
        .filter(status=ExtensionStatus.PENDING, review__status=ReviewStatus.IN_REVIEW)
        .filter(review__in=mine.values("pk"))
        .filter(Q(agency_id=agency_id) | ~positioned)
        .select_related("review__model", "agency")
    )
    late_assignments = (
        Assignment.objects.visible_to(user)
        .filter(status=AssignmentStatus.INVITED, review__status__in=ACTIVE, invited_at__lt=now - answer_days)
        .select_related("review__model")
    )
    late_rfis = (
        InformationRequest.objects.visible_to(user, material=True)
        .filter(agency_id=agency_id, status=RfiStatus.OPEN, due_at__lt=now)
        .select_related("review__model")
    )
    return {
        "uncovered": uncovered, "extensions": extensions, "sign_offs": sign_offs,
        "late_assignments": late_assignments, "late_rfis": late_rfis,
    }


def _lead_plan(user, now: datetime, only: set[str] | None) -> list:
    """The lead's sections' steps and the stopped clocks' (``_inbox``)."""
    agency_id = user.agency_id
    answer_days = timedelta(days=settings.PORTAL_ASSIGNMENT_ANSWER_DAYS)
    indexed = connection.vendor == "postgresql"  # see _lead_queries
    queries = _per_moment(lambda now: _lead_queries(user, now, indexed=indexed))
    sec = partial(_section, queries=queries, site="lead", user=user, now=now, only=only)
    uncovered_order = ["review_window_start", "review_submitted_at", "review_id"] if indexed else ["window_start", "submitted_at", "id"]
    sign_offs_order = ["review_window_end", "review_id"] if indexed else ["window_end", "id"]

    def uncovered_item(row):
        r = row.review if isinstance(row, ReviewAgency) else row
        due = r.window_start + timedelta(days=UNCOVERED_ESCALATION_DAYS) if r.window_start else None
        note = "In review without a reviewer of your agency" if r.window_start else "Submitted: assign a reviewer before it opens"
        return Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r), due=due, note=note)

    def sign_off_item(row):
        r = row.review if isinstance(row, ReviewAgency) else row
        if row.stopped_since:
            note = "Clock stopped: the end moves by the time it stands"
        elif r.window_end and r.window_end < now:
            note = "The window has ended without your agency's sign-off: ask for an extension, or the program office closes it naming your agency"
        else:
            note = "Your agency's conclusion is due by the window's end"
        return Item(title=_review_label(r), url=pk_url("review_sign_off", r.pk), review=_review_label(r),
                    due=r.window_end, stopped=row.stopped_since is not None, note=note)

    def extension_item(e):
        if e.agency_id == agency_id:
            note = f"Your agency's request for {e.days} more day{'s' if e.days != 1 else ''} waits for the " + (
                "program office's decision" if e.company_answer else "company's answer and the program office's decision"
            )
        else:
            note = f"{e.agency.acronym} asks for {e.days} more day{'s' if e.days != 1 else ''}: state your agency's position"
        return Item(title=_review_label(e.review), url=e.review.get_absolute_url() + "#extensions-title",
                    review=_review_label(e.review), due=e.review.window_end, note=note)

    return [*[
        sec("uncovered", "Assign a reviewer", uncovered_order, uncovered_item, indexed=indexed),
        sec("extensions", "Pending extension requests", ["created_at", "id"], extension_item),
        sec("sign_offs", "Record your agency's sign-off", sign_offs_order, sign_off_item, indexed=indexed),
        sec(
            "late_assignments", "Escalated: assignments not answered", ["invited_at", "id"],
            lambda a: Item(title=_review_label(a.review), url=pk_url("assignment_detail", a.pk),
                           review=_review_label(a.review), due=a.invited_at + answer_days,
                           note="Your reviewer has not accepted or declined: remind them or assign someone else"),
        ),
        sec(
            "late_rfis", "Escalated: your questions overdue at the company", ["due_at", "id"],
            lambda rfi: _rfi_item(rfi, note="The company has not answered by the due date"),
        ),
    ], _stopped_clocks(user, now, only)]


# ------------------------------------------------------------------- liaison
def _liaison_queries(user, now) -> dict:
    """The liaison's sections' querysets (see ``liaison_inbox``)."""
    rfis = (
        InformationRequest.objects.visible_to(user)
        .filter(status=RfiStatus.OPEN)
        .filter(Q(assignee__isnull=True) | Q(assignee_id=user.pk))
        .annotate(stopped_since=Subquery(_running_stop_of_review()))
        .select_related("review__model", "agency")
    )
    findings = (
        Finding.objects.visible_to(user)
        .filter(sharing=Sharing.COMPANY)
        .filter(Q(status=FindingStatus.SHARED) | Q(status=FindingStatus.RETESTED, retest_result=RetestResult.STILL_PRESENT))
        .select_related("review__model", "agency")
    )
    drafts = Review.objects.visible_to(user).filter(status=ReviewStatus.DRAFT).select_related("model")
    extensions = (
        ExtensionRequest.objects.visible_to(user)
        .filter(status=ExtensionStatus.PENDING, company_answer="", review__status=ReviewStatus.IN_REVIEW)
        .select_related("review__model", "agency")
    )
    return {"rfis": rfis, "findings": findings, "extensions": extensions, "drafts": drafts}


def _liaison_plan(user, now: datetime, only: set[str] | None) -> list:
    """The liaison's sections' steps and the stopped clocks' (``_inbox``)."""
    queries = _per_moment(lambda now: _liaison_queries(user, now))
    sec = partial(_section, queries=queries, site="liaison", user=user, now=now, only=only)

    def rfi_item(rfi):
        note = f"From {rfi.agency.acronym}"
        if rfi.blocking:
            note += "; blocking: " + ("the review's clock is stopped until you answer" if rfi.stopped_since else "the agencies cannot work until you answer")
        return _rfi_item(rfi, note=note)

    return [*[
        sec("rfis", "Answer the agencies' questions", ["due_at", "id"], rfi_item),
        sec(
            "findings", "Respond to findings shared with you", ["shared_at", "id"],
            lambda f: Item(
                title=f.title, url=pk_url("finding_detail", f.pk), review=_review_label(f.review),
                note=f"{f.get_severity_display()} finding from {f.agency.acronym}"
                + ("; the retest found it still present" if f.status == FindingStatus.RETESTED else ""),
            ),
        ),
        sec(
            "extensions", "Answer extension requests", ["created_at", "id"],
            lambda e: Item(
                title=_review_label(e.review), url=e.review.get_absolute_url() + "#extensions-title", review=_review_label(e.review),
                due=e.review.window_end, note=f"{e.agency.acronym} asks for {e.days} more day{'s' if e.days != 1 else ''}: consent or object",
            ),
        ),
        sec(
            "drafts", "Submit your draft reviews", ["created_at", "id"],
            lambda r: Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r),
                           note=f"Draft since {timezone.localtime(r.created_at):%b %-d, %Y}: submit it to the agencies"),
        ),
    ], _stopped_clocks(user, now, only)]


# ------------------------------------------------------------ program office
def _office_queries(user, now) -> dict:
    """The program office's sections' querysets at ``now`` (see ``office_inbox``)."""
    reviews = Review.objects.visible_to(user)
    submitted = reviews.filter(status=ReviewStatus.SUBMITTED).select_related("model")
    late_rfis = (
        InformationRequest.objects.visible_to(user)
        .filter(status=RfiStatus.OPEN, due_at__lt=now - timedelta(days=RFI_OFFICE_ESCALATION_DAYS))
        .select_related("review__model", "agency")
    )
    extensions = (
        ExtensionRequest.objects.visible_to(user)
        .filter(status=ExtensionStatus.PENDING)
        .select_related("review__model", "agency")
    )
    # A running clock stop holds the end back: such a window is not past.
    held = Exists(ClockStop.objects.filter(review=OuterRef("pk"), resumed_at__isnull=True, stopped_at__lt=OuterRef("window_end")))
    past = reviews.filter(status=ReviewStatus.IN_REVIEW, window_end__lt=now).filter(~held).select_related("model")
    return {"submitted": submitted, "late_rfis": late_rfis, "extensions": extensions, "past_window": past}


def _office_plan(user, now: datetime, only: set[str] | None) -> list:
    """The office's sections' steps and the stopped clocks' (``_inbox``)."""
    # The program office sees every review: its two large sections walk an
    # index in their own order from the first overdue row (no scope to hash).
    indexed = connection.vendor == "postgresql"
    queries = _per_moment(lambda now: _office_queries(user, now))
    sec = partial(_section, queries=queries, site="office", user=user, now=now, only=only)

    def extension_item(e):
        answer = {"consent": "the company consents", "object": "the company objects"}.get(e.company_answer, "the company has not answered")
        return Item(title=_review_label(e.review), url=e.review.get_absolute_url() + "#extensions-title",
                    review=_review_label(e.review), due=e.review.window_end,
                    note=f"{e.agency.acronym} asks for {e.days} more day{'s' if e.days != 1 else ''}; {answer}")

    return [*[
        sec(
            "submitted", "Open submitted reviews", ["submitted_at", "id"],
            lambda r: Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r),
                           due=r.submitted_at + timedelta(days=SUBMITTED_ESCALATION_DAYS) if r.submitted_at else None,
                           note=f"Submitted {timezone.localtime(r.submitted_at):%b %-d, %Y}" if r.submitted_at else "Submitted"),
        ),
        sec(
            "late_rfis", f"Escalated: questions {RFI_OFFICE_ESCALATION_DAYS}+ days overdue", ["due_at", "id"],
            lambda rfi: _rfi_item(rfi, note=f"Asked by {rfi.agency.acronym}; the company has not answered"),
            indexed=indexed,  # rfi_open_due_id_idx
        ),
        sec("extensions", "Decide extension requests", ["created_at", "id"], extension_item),
        sec(
            "past_window", "Reviews past their window", ["window_end", "id"],
            lambda r: Item(title=_review_label(r), url=r.get_absolute_url(), review=_review_label(r), due=r.window_end,
                           note="Close it (naming agencies that did not sign off) or extend it"),
            indexed=indexed,  # review_status_idx (status, window_end, id)
        ),
    ], _stopped_clocks(user, now, only)]


PLANS = {"reviewer": _reviewer_plan, "lead": _lead_plan, "liaison": _liaison_plan, "office": _office_plan}
