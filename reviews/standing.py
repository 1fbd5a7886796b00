"""What one user may do on one review: the ``Standing``.

Every answer to "may this user … on this review?" is a property of one
frozen value, built from a handful of facts read in one statement (the
user's side, whether their agency takes part, whether their assignment is
accepted, whether they accepted the current access terms, whether they hold
the review's grants). Views, templates, services, the API and the
lifecycle table (``workflow.TRANSITIONS``) all ask it; nothing re-derives
a rule from the user's role and the review's rows.

Pages read the facts with the review itself (``selectors.review_detail_get``
annotates ``standing_expressions``); services build it again with
``standing_of`` after locking the review row, so a decision is made on the
state it changes. The value is never cached on an instance or shared between
users.

How a *person* is shown to a viewer is the other half of "who sees what"
on a review; that rule depends on organisations only and lives in
``accounts.people`` (``person_label``), which every surface uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from django.db.models import Exists, OuterRef, Q, Value

from accounts.models import Role
from portal.errors import MaterialReturned, TermsRequired  # noqa: F401  (raised by require_*; re-exported)
from portal.scoping import scope_now

from .models import (
    OPEN_STATUSES,
    Assignment,
    AssignmentStatus,
    Review,
    ReviewAgency,
    ReviewGroupObjectPermission,
    ReviewReach,
    ReviewStatus,
    ReviewUserObjectPermission,
    ReturnCertificate,
    SignOff,
    TermsAcceptance,
)
from .querysets import user_may_see_anything, uses_reach


class Side(str, Enum):
    PROGRAM_OFFICE = "program_office"
    AGENCY = "agency"
    COMPANY = "company"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Standing:
    """One user's standing on one review, as read at one moment."""

    user_id: int | None
    review_id: int
    status: str
    company_id: int  # the review's company
    side: Side
    role: str | None
    agency_id: int | None  # the user's agency (agency side only)
    may_view: bool  # an unexpired grant (program office: always)
    agency_participates: bool
    assignment_accepted: bool
    terms_accepted: bool
    holds_assign_grant: bool
    agency_signed_off: bool = False  # the user's agency has recorded its sign-off
    agency_certified: bool = False  # the user's agency certified the material returned or destroyed

    # -- who the user is on this review ------------------------------------
    @property
    def is_program_office(self) -> bool:
        return self.side is Side.PROGRAM_OFFICE

    @property
    def is_company(self) -> bool:
        """A liaison of the review's own company who may see the review."""
        return self.side is Side.COMPANY and self.may_view

    @property
    def is_agency(self) -> bool:
        return self.side is Side.AGENCY

    @property
    def is_lead(self) -> bool:
        return self.role == Role.AGENCY_LEAD

    @property
    def acts_for_agency(self) -> bool:
        """A participating agency's lead, or a reviewer whose assignment is
        accepted, who may still see the review: the agency side's voice."""
        return (
            self.is_agency
            and self.may_view
            and self.agency_participates
            and (self.is_lead or self.assignment_accepted)
        )

    @property
    def in_review(self) -> bool:
        return self.status == ReviewStatus.IN_REVIEW

    # -- the material gate ----------------------------------------------------
    @property
    def needs_terms(self) -> bool:
        """Agency users accept the review's current access terms before its material opens."""
        return self.is_agency and not self.terms_accepted

    def require_material(self) -> None:
        """Raises ``TermsRequired`` unless the review's material is open to the user."""
        if self.needs_terms:
            raise TermsRequired(self.review_id)

    @property
    def material_returned(self) -> bool:
        """The user's agency certified that it returned or destroyed the review's
        material: no document or version opens to it any more."""
        return self.is_agency and self.agency_certified

    def require_documents(self) -> None:
        """The gate of every path to the review's documents (pages, views,
        downloads, watermarked copies, the API): the terms, then the agency's
        certificate (``MaterialReturned``)."""
        self.require_material()
        if self.material_returned:
            raise MaterialReturned(self.review_id)

    # -- access ---------------------------------------------------------------
    @property
    def may_manage_access(self) -> bool:
        """Program office: any review; a lead: reviews their agency was granted assignment on."""
        return self.is_program_office or (self.is_agency and self.is_lead and self.holds_assign_grant)

    @property
    def may_assign(self) -> bool:
        return self.may_manage_access and self.status in (ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW)

    @property
    def may_revoke_any_grant(self) -> bool:
        """Direct grants that are not an assignment, and organisations' grants."""
        return self.is_program_office

    def may_revoke_person(self, person) -> bool:
        """Program office: anyone's access; a lead who manages access: their own
        agency's reviewers (by removing the assignment)."""
        if self.is_program_office:
            return True
        return self.may_manage_access and getattr(person, "agency_id", None) == self.agency_id

    # -- the work -------------------------------------------------------------
    @property
    def may_ask(self) -> bool:
        return self.in_review and self.acts_for_agency

    def may_follow_rfi(self, rfi) -> bool:
        """An agency acting on the review follows another agency's shared,
        not yet closed question instead of asking it again."""
        return (
            self.may_ask
            and not rfi.private
            and rfi.agency_id != self.agency_id
            and rfi.status != "closed"
            and self.agency_id not in rfi.asking_agency_ids()
        )

    def may_publish_faq(self, rfi) -> bool:
        """The program office, or an agency acting on the review that asked or followed the question."""
        return self.is_program_office or (self.acts_for_agency and self.agency_id in rfi.asking_agency_ids())

    @property
    def may_record_finding(self) -> bool:
        return self.in_review and self.acts_for_agency

    def may_share_finding(self, finding) -> bool:
        """Only a lead of the finding's own agency widens who sees it."""
        return self.acts_for_agency and self.is_lead and finding.agency_id == self.agency_id

    def may_edit_finding(self, finding) -> bool:
        """The finding's own agency edits (and records a draft) before it is shared."""
        return (
            self.acts_for_agency
            and finding.agency_id == self.agency_id
            and finding.status in ("draft", "recorded")
            and finding.sharing == "internal"
        )

    def may_revise_finding(self, finding) -> bool:
        """After sharing, the finding's own agency still corrects it, but each change
        is a new revision that others see as such (until the finding is closed)."""
        return (
            self.acts_for_agency
            and finding.agency_id == self.agency_id
            and finding.sharing != "internal"
            and finding.status != "closed"
        )

    def may_respond_to_finding(self, finding) -> bool:
        """The company responds to a finding shared with it."""
        return self.is_company and finding.sharing == "company"

    def may_retest_finding(self, finding) -> bool:
        """An agency acting on the review that sees the finding (its own, or shared beyond its agency)."""
        return self.acts_for_agency and (finding.agency_id == self.agency_id or finding.sharing != "internal")

    def may_attach_evidence(self, finding, *, retest: bool = False) -> bool:
        """Evidence of a finding: its own agency, until it closes. Evidence of a retest:
        an agency that may retest it, once the company has responded."""
        if finding.status == "closed":
            return False
        if retest:
            return self.may_retest_finding(finding) and finding.status in ("responded", "retested")
        return self.acts_for_agency and finding.agency_id == self.agency_id

    def may_close_finding(self, finding) -> bool:
        """A lead of the finding's agency, or the program office."""
        return self.is_program_office or (self.acts_for_agency and self.is_lead and finding.agency_id == self.agency_id)

    @property
    def may_link_findings(self) -> bool:
        """Possible duplicates across agencies are the program office's to see and link."""
        return self.is_program_office

    def finding_comment_side(self, finding) -> str | None:
        """The side a comment by this user would speak for (None: may not comment)."""
        if self.acts_for_agency:
            return "agency"
        if self.is_company and finding.sharing == "company":
            return "company"
        return None

    @property
    def may_answer_checklist(self) -> bool:
        return self.in_review and self.acts_for_agency

    @property
    def may_upload(self) -> bool:
        return self.is_company and self.status in OPEN_STATUSES

    @property
    def may_edit_documents(self) -> bool:
        """The company's liaisons correct a document's title, kind and marking while the review is open."""
        return self.may_upload

    @property
    def may_answer_rfi(self) -> bool:
        return self.is_company

    @property
    def rfi_side(self) -> str | None:
        """The side a message on an RFI would speak for (None: may not write)."""
        if self.is_company:
            return "company"
        if self.acts_for_agency:
            return "agency"
        return None

    @property
    def may_reopen_rfi(self) -> bool:
        return self.in_review and self.rfi_side is not None

    def may_close_rfi(self, rfi) -> bool:
        """The asking agency (acting on the review), or the program office: an
        agency following a shared question does not close it for the agency
        that asked (no agency acts for another; a follower who needs more asks
        again by reopening it)."""
        return self.is_program_office or (self.acts_for_agency and rfi.agency_id == self.agency_id)

    @property
    def is_participating_lead(self) -> bool:
        return self.is_agency and self.is_lead and self.agency_participates and self.may_view

    def may_state_extension_position(self, extension) -> bool:
        """A lead of another participating agency than the one that asked (the
        asking agency's position is its request), while in review."""
        return self.in_review and self.is_participating_lead and extension.agency_id != self.agency_id

    @property
    def may_request_extension(self) -> bool:
        """A participating agency's lead asks (its reviewers ask their lead: ``may_suggest_extension``)."""
        return self.in_review and self.acts_for_agency and self.is_lead

    @property
    def may_suggest_extension(self) -> bool:
        """An accepted reviewer asks their own lead to request an extension."""
        return self.in_review and self.acts_for_agency and not self.is_lead

    @property
    def may_consent_extension(self) -> bool:
        """The company's liaisons consent to or object to an extension (it delays their release)."""
        return self.in_review and self.is_company

    @property
    def may_decide_extension(self) -> bool:
        """Only the program office decides: no agency decides its own request."""
        return self.is_program_office

    @property
    def may_sign_off(self) -> bool:
        """A participating agency's lead records the agency's conclusion, once, while in review."""
        return self.in_review and self.acts_for_agency and self.is_lead and not self.agency_signed_off

    @property
    def may_certify(self) -> bool:
        """A participating agency's lead, once: after the review closed, or
        after the agency signed off while the review is under way."""
        return (
            self.is_participating_lead
            and not self.agency_certified
            and (self.status == ReviewStatus.CLOSED or (self.in_review and self.agency_signed_off))
        )

    # -- model access (modelaccess/) -----------------------------------------
    @property
    def may_describe_model_access(self) -> bool:
        """The company's liaisons describe how to reach the model while the review is open."""
        return self.is_company and self.status in OPEN_STATUSES

    @property
    def may_issue_credentials(self) -> bool:
        """The company's liaisons issue and revoke reviewers' credentials once agencies are on the review."""
        return self.is_company and self.status in (ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW)

    @property
    def may_reveal_credential(self) -> bool:
        """A reviewer whose assignment is accepted and whose grant holds, while the
        review is in review (the credential's own rules, ``modelaccess.rules``, come on top)."""
        return self.in_review and self.acts_for_agency and not self.is_lead and self.assignment_accepted

    @property
    def credential_status_scope(self) -> str | None:
        """Whose credentials' status the user sees on the review: "all" (the program
        office; the company, by pseudonym), "agency" (a lead: their own agency's
        reviewers), "own" (a reviewer), or None."""
        if self.is_program_office or self.is_company:
            return "all"
        if self.acts_for_agency and self.is_lead:
            return "agency"
        if self.is_agency and self.may_view:
            return "own"
        return None

    # -- the lifecycle ---------------------------------------------------------
    # workflow.TRANSITIONS asks the roles (is_company, is_program_office,
    # is_closer) and checks the state itself, so a move in the wrong state is
    # "cannot be submitted now" (400), not "only liaisons may" (403); the
    # may_* below are both, for pages that offer the moves.
    @property
    def is_closer(self) -> bool:
        """Whose role may close a review by hand: the program office only (when
        every agency has signed off, or after the window with a reason naming who
        did not); an agency lead never closes for the other agencies: the last
        agency's sign-off closes the review."""
        return self.is_program_office

    @property
    def may_submit(self) -> bool:
        return self.is_company and self.status == ReviewStatus.DRAFT

    @property
    def may_edit_draft(self) -> bool:
        """The company's liaisons change a draft's fields (model, agencies, summary,
        terms) until they submit it; afterwards the agencies rely on them."""
        return self.is_company and self.status == ReviewStatus.DRAFT

    @property
    def may_delete_draft(self) -> bool:
        """The company's liaisons delete a draft that was never submitted (the service
        also checks that no submission was ever recorded on the locked row)."""
        return self.may_edit_draft

    @property
    def may_withdraw(self) -> bool:
        return self.is_company and self.status in OPEN_STATUSES

    @property
    def may_open(self) -> bool:
        return self.is_program_office and self.status == ReviewStatus.SUBMITTED

    @property
    def may_close(self) -> bool:
        return self.in_review and self.is_closer


def _side(user, company_id: int) -> Side:
    if not user_may_see_anything(user):
        return Side.NONE
    if user.is_program_admin:
        return Side.PROGRAM_OFFICE
    if user.is_agency_lead or user.is_agency_reviewer:
        return Side.AGENCY
    if user.is_company_liaison and user.company_id == company_id:
        return Side.COMPANY
    return Side.NONE


def _granted(user, codename: str, review_ref, now) -> Exists:
    """A grant of ``codename`` on the review unexpired at ``now``, direct or through a group."""
    unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    direct = ReviewUserObjectPermission.objects.filter(
        unexpired, content_object_id=review_ref, user_id=user.pk, permission__codename=codename
    )
    via_group = ReviewGroupObjectPermission.objects.filter(
        unexpired, content_object_id=review_ref, permission__codename=codename, group__user=user.pk
    )
    return Exists(direct) | Exists(via_group)


def standing_expressions(user, *, now=None) -> dict:
    """The facts of a Standing as annotations on a query of reviews: pages read
    them in the same statement as the review. Keys are the ``standing_*``
    names ``standing_from_row`` reads. ``now`` (default: the clock) decides
    which grants have expired; a caller keeping the compiled statement
    (``portal.statements``) passes it so it stays a parameter."""
    now = now or scope_now()
    ref = OuterRef("pk")
    false = Value(False)
    if not user_may_see_anything(user) or user.is_program_admin:
        return {name: false for name in _FACTS}
    if uses_reach():
        may_view = Exists(
            ReviewReach.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), review_id=ref, user_id=user.pk)
        )
    else:
        may_view = _granted(user, "view_review", ref, now)
    agency_id = user.agency_id
    return {
        "standing_may_view": may_view,
        "standing_participates": Exists(ReviewAgency.objects.filter(review_id=ref, agency_id=agency_id)) if agency_id else false,
        "standing_accepted": Exists(
            Assignment.objects.filter(review_id=ref, reviewer_id=user.pk, status=AssignmentStatus.ACCEPTED)
        )
        if user.is_agency_reviewer
        else false,
        "standing_terms": Exists(
            TermsAcceptance.objects.filter(review_id=ref, user_id=user.pk, version=OuterRef("access_terms_version"))
        )
        if agency_id
        else false,
        "standing_assign": _granted(user, "assign_reviewer", ref, now) if user.is_agency_lead else false,
        "standing_signed_off": Exists(SignOff.objects.filter(review_id=ref, agency_id=agency_id)) if agency_id else false,
        "standing_certified": Exists(ReturnCertificate.objects.filter(review_id=ref, agency_id=agency_id))
        if agency_id
        else false,
    }


_FACTS = (
    "standing_may_view",
    "standing_participates",
    "standing_accepted",
    "standing_terms",
    "standing_assign",
    "standing_signed_off",
    "standing_certified",
)


def standing_from_row(user, *, review_id: int, status: str, company_id: int, facts: dict) -> Standing:
    side = _side(user, company_id)
    office = side is Side.PROGRAM_OFFICE
    return Standing(
        user_id=getattr(user, "pk", None),
        review_id=review_id,
        status=status,
        company_id=company_id,
        side=side,
        role=getattr(user, "role", None) if side is not Side.NONE else None,
        agency_id=user.agency_id if side is Side.AGENCY else None,
        may_view=office or bool(facts.get("standing_may_view")),
        agency_participates=bool(facts.get("standing_participates")),
        assignment_accepted=bool(facts.get("standing_accepted")),
        terms_accepted=office or bool(facts.get("standing_terms")),
        holds_assign_grant=office or bool(facts.get("standing_assign")),
        agency_signed_off=side is Side.AGENCY and bool(facts.get("standing_signed_off")),
        agency_certified=side is Side.AGENCY and bool(facts.get("standing_certified")),
    )


def standing_of(*, user, review: Review | int) -> Standing:
    """The user's standing on ``review`` (an instance or an id), read now in one
    statement. Services call it after locking the review row; a review that
    does not exist gives ``Review.DoesNotExist``."""
    pk = int(getattr(review, "pk", review))
    row = Review.objects.filter(pk=pk).annotate(**standing_expressions(user)).values(
        "status", "company_id", *_FACTS
    ).get()
    return standing_from_row(user, review_id=pk, status=row["status"], company_id=row["company_id"], facts=row)


def standing_of_loaded(user, review: Review) -> Standing:
    """The standing of a review read with ``standing_expressions`` (``review_detail_get``)."""
    return standing_from_row(
        user,
        review_id=review.pk,
        status=review.status,
        company_id=review.company_id,
        facts={name: getattr(review, name) for name in _FACTS},
    )
