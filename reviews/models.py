from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from portal.loading import RowLoaded

from .querysets import AssignmentQuerySet, ReviewQuerySet


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# A status in a sentence ("A review that is under review cannot be submitted"):
# "in review" reads as "the review is in review".
STATUS_PHRASES = {"draft": "a draft", "submitted": "submitted", "in_review": "under review", "closed": "closed", "withdrawn": "withdrawn"}

OPEN_STATUSES = (ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, ReviewStatus.IN_REVIEW)


class Review(RowLoaded):
    """One early-access engagement for one model.

    ``window_end`` is the deadline every list sorts by; it is empty until a
    program admin opens the review.
    """

    model = models.ForeignKey("companies.AIModel", on_delete=models.PROTECT, related_name="reviews")
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="reviews")
    agencies = models.ManyToManyField("agencies.Agency", through="ReviewAgency", related_name="reviews")
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    summary = models.TextField(blank=True, help_text="What the company asks the agencies to look at.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    outcome_summary = models.TextField(blank=True, help_text="The closing lead's summary of the review's outcome.")
    recommendations = models.TextField(blank=True)
    closing_warnings = models.JSONField(
        default=list, blank=True, help_text="What was still open when the review closed (recorded with the close)."
    )
    access_terms = models.TextField(
        blank=True, help_text="Non-disclosure terms for this review; empty means the portal's default text."
    )
    access_terms_version = models.PositiveIntegerField(default=1)

    objects = ReviewQuerySet.as_manager()
    # Field-level history ("what did this look like on the 12th": Review.history.as_of(day)).
    history = HistoricalRecords(cascade_delete_history=False)

    class Meta:
        ordering = ["window_end", "id"]
        permissions = [
            ("assign_reviewer", "Can assign the agency's reviewers to the review"),
            ("manage_access", "Can manage who has access to the review"),
        ]
        indexes = [
            models.Index(fields=["window_end", "id"], name="review_deadline_idx"),
            # A reviewer's dashboard sorts their assignments by their reviews'
            # deadlines: the deadline by id without reading the reviews' rows.
            models.Index(fields=["id"], include=["window_end"], name="review_id_deadline_idx"),
            # Status, deadline and the id: the "status" order of selectors.SORTS with no tie left to sort.
            models.Index(fields=["status", "window_end", "id"], name="review_status_idx"),
            # The program office's list (all reviews) in the other orders of
            # selectors.SORTS; model and company names go through those tables'
            # (name, id) indexes. Reviewers' lists use ReviewReach's.
            models.Index(
                models.F("window_end").desc(nulls_last=True), models.F("id").desc(), name="review_deadline_desc_idx"
            ),
            models.Index(fields=["-status", "window_end", "id"], name="review_status_desc_idx"),
            models.Index(fields=["created_at", "id"], name="review_created_idx"),
            models.Index(fields=["company", "window_end"], name="review_company_deadline_idx"),
            # The reminder sweep's range scans: cost follows what is due.
            models.Index(
                fields=["submitted_at"], condition=Q(status="submitted"), name="review_awaiting_open_idx"
            ),
            models.Index(fields=["window_start"], condition=Q(status="in_review"), name="review_opened_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="review_window_order",
                condition=Q(window_end__isnull=True) | Q(window_start__isnull=False, window_end__gt=models.F("window_start")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} review #{self.pk}"

    @property
    def status_phrase(self) -> str:
        """The status as it reads in a sentence after "is": "under review", "a draft"."""
        return STATUS_PHRASES.get(self.status, self.get_status_display().lower())

    def get_absolute_url(self) -> str:
        from portal.links import pk_url  # reversed once per process (a dashboard links a dozen reviews)

        return pk_url("review_detail", self.pk)

    @property
    def effective_terms(self) -> str:
        return self.access_terms or settings.PORTAL_DEFAULT_ACCESS_TERMS

    @property
    def terms_digest(self) -> str:
        return hashlib.sha256(self.effective_terms.encode()).hexdigest()

    @property
    def agency_labels(self) -> list[str]:
        """Participating agencies' acronyms, alphabetical: read with the row on
        list pages (selectors.review_list), else from the relation."""
        labels = getattr(self, "agency_acronyms", None)
        if labels is None:
            labels = sorted(a.acronym for a in self.agencies.all())
        return labels

    @property
    def agency_states(self) -> list[dict]:
        """Each participating agency with whether it signed off and certified, for
        lists and dashboards (read with the row by ``selectors.review_list``)."""
        signed = getattr(self, "signed_acronyms", None)
        if signed is None:
            signed = [s.agency.acronym for s in self.sign_offs.all()]
        certified = getattr(self, "certified_acronyms", None)
        if certified is None:
            certified = [c.agency.acronym for c in self.certificates.all()]
        return [{"acronym": a, "signed": a in signed, "certified": a in certified} for a in self.agency_labels]

    def days_left(self, now=None, tz=None) -> int | None:
        """Calendar days from ``now``'s date to the window's end in ``tz`` (the
        active time zone unless given: a list passes the one it read once)."""
        if not self.window_end:
            return None
        now = now or timezone.now()
        return (timezone.localdate(self.window_end, tz) - timezone.localdate(now, tz)).days


class ReviewAgencyQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        """Whoever sees the review sees which agencies take part (lists show their acronyms)."""
        from .querysets import in_visible_reviews

        return in_visible_reviews(self, user, review=review)


class ReviewAgency(RowLoaded):
    """An agency taking part in a review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="participations")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="participations")
    joined_at = models.DateTimeField(default=timezone.now)
    # The agency's invited and accepted assignments on the review, counted by
    # PostgreSQL triggers on every write of an assignment (migration 0018): a
    # lead's "assign a reviewer" list reads the uncovered reviews off one
    # partial index instead of probing the assignments of every review the
    # agency is on. Never set in Python; other databases leave it 0.
    active_assignments = models.PositiveIntegerField(default=0, editable=False)
    # The review's status and dates, copied by PostgreSQL triggers on every
    # write of the participation and of the review's status and dates
    # (migration 0024): a lead's "assign a reviewer" and "sign off" sections
    # walk their agency's participations in the section's order off one
    # partial index, instead of joining every review of the agency (1,667 at
    # bench scale) to sort ten. Never set in Python; other databases leave
    # them empty and the dashboard asks the review.
    review_status = models.CharField(max_length=20, blank=True, default="", editable=False)
    review_window_start = models.DateTimeField(null=True, blank=True, editable=False)
    review_window_end = models.DateTimeField(null=True, blank=True, editable=False)
    review_submitted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ReviewAgencyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "review agencies"
        constraints = [models.UniqueConstraint(fields=["review", "agency"], name="review_agency_unique")]
        indexes = [
            # "Assign a reviewer": the agency's uncovered active participations in the section's order.
            models.Index(
                fields=["agency", "review_window_start", "review_submitted_at", "review"],
                condition=Q(active_assignments=0, review_status__in=["submitted", "in_review"]),
                name="participation_bare_idx",
            ),
            # "Record your agency's sign-off": the agency's participations in review, by deadline.
            models.Index(
                fields=["agency", "review_window_end", "review"], condition=Q(review_status="in_review"),
                name="participation_in_review_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} on {self.review}"


class AssignmentStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REMOVED = "removed", "Removed"


ACTIVE_ASSIGNMENT = (AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED)


class Assignment(RowLoaded):
    """A reviewer on a review. Accepting grants access; declining or removal revokes it."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.INVITED)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    has_conflict = models.BooleanField(null=True, blank=True)
    coi_declaration = models.TextField(blank=True)
    decline_reason = models.TextField(blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removal_reason = models.TextField(blank=True)
    # The review's deadline, copied by PostgreSQL triggers on every write of
    # the assignment and every change of the deadline (migration 0012): a
    # reviewer's dashboard pages by it from one index. Never set in Python.
    review_window_end = models.DateTimeField(null=True, blank=True, editable=False)
    # The review's status, copied the same way (migration 0022): the reviewer's
    # dashboard finds their active and in-review work off one index instead of
    # walking every review of the status to find theirs. Never set in Python.
    review_status = models.CharField(max_length=20, blank=True, default="", editable=False)
    # Whether the reviewer accepted the review's current access terms, kept by
    # PostgreSQL triggers on assignments, acceptances and the review's terms
    # version (migration 0026): the reviewer's "accept the access terms"
    # section reads the accepted work still owing them off one partial index
    # instead of checking every accepted assignment (5,000 at bench scale,
    # 17-22 ms to find none). Only the dashboard reads it; the terms gate on
    # material has its own copy on the reach rows (ReviewReach.terms_accepted, 0029).
    terms_accepted = models.BooleanField(default=False, editable=False)

    objects = AssignmentQuerySet.as_manager()
    history = HistoricalRecords(cascade_delete_history=False)

    class Meta:
        ordering = ["-invited_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "reviewer"],
                condition=Q(status__in=["invited", "accepted"]),
                name="assignment_one_active_per_reviewer",
            ),
            models.CheckConstraint(
                name="assignment_accepted_has_declaration",
                condition=~Q(status="accepted") | Q(has_conflict=False),
            ),
        ]
        indexes = [
            # Covering: a reviewer's active assignments and their reviews from the index alone,
            # in review order (a merge with the reviews, not a probe per assignment).
            models.Index(fields=["reviewer", "status", "review"], include=["id"], name="assignment_reviewer_idx"),
            models.Index(fields=["review", "agency", "status"], name="assignment_review_agency_idx"),
            models.Index(fields=["invited_at"], condition=Q(status="invited"), name="assignment_unanswered_idx"),
            # The reviewer's dashboard order (invitations first, then by deadline), walked in order.
            models.Index(
                "reviewer",
                models.F("status").desc(),
                "review_window_end",
                "id",
                condition=Q(status__in=["invited", "accepted"]),
                name="assignment_dashboard_idx",
            ),
            # A reviewer's accepted work by the review's status and deadline (the dashboard's sections).
            models.Index(
                fields=["reviewer", "review_status", "review_window_end", "review"],
                condition=Q(status="accepted"),
                name="assignment_work_idx",
            ),
            # The reviewer's accepted, active work whose current terms they have not accepted, by deadline.
            models.Index(
                fields=["reviewer", "review_window_end", "review"],
                condition=Q(status="accepted", terms_accepted=False, review_status__in=["submitted", "in_review"]),
                name="assignment_terms_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.review} ({self.get_status_display()})"


class GrantMetadata(models.Model):
    """Who granted a permission, when, why, and until when.

    ``expires_at`` is honoured by every visibility query, so an expired grant
    gives nothing even before the clean-up task deletes it.
    """

    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


class ReviewUserObjectPermission(UserObjectPermissionBase, GrantMetadata):
    content_object = models.ForeignKey(Review, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["expires_at"], name="review_uop_expires_idx")]


class ReviewGroupObjectPermission(GroupObjectPermissionBase, GrantMetadata):
    content_object = models.ForeignKey(Review, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["expires_at"], name="review_gop_expires_idx")]


class ReviewReach(models.Model):
    """Who may view which review, one row per (user, review), derived from the
    two grant tables and group membership by PostgreSQL triggers in the same
    transaction as the grant (migration 0010): never written by Python.

    ``expires_at`` is the latest expiry among the user's paths to the review
    (empty when one of them never expires); readers filter on it, so an
    expired grant is gone on the next request. ``window_end`` is the review's,
    kept in step by a trigger, so a user's list by deadline, its count and any
    page of it come from the one index below without touching reviews.

    The other sort keys of the review list are copied the same way (migration
    0015; triggers on the review, its model and its company keep them in step
    in the same transaction): one index per order of ``selectors.REACH_SORTS``,
    walked forwards for the first pages and backwards for the last, so any
    page of 20,000 reviews in any order stops after its rows.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    # Copies of review.status, review.created_at, review.model.name and review.company.name.
    status = models.CharField(max_length=20, default="")
    created_at = models.DateTimeField(default=timezone.now)
    model_name = models.CharField(max_length=120, default="")
    company_name = models.CharField(max_length=200, default="")
    # Whether the user holds an acceptance of the review's current access terms
    # (migration 0029): the terms gate of a material read (querysets.in_visible_reviews
    # with ``material``) is then part of the reach semi-join every read has.
    terms_accepted = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        verbose_name_plural = "review reaches"
        # On PostgreSQL its index also carries expires_at (reviews/0028): a join
        # on (user, review) checks a grant's expiry from the index, in review order.
        constraints = [models.UniqueConstraint(fields=["user", "review"], name="review_reach_unique")]
        indexes = [
            models.Index(fields=["user", "window_end", "review"], include=["expires_at"], name="review_reach_deadline_idx"),
            # "-deadline" keeps reviews without a deadline last: DESC NULLS LAST.
            models.Index(
                models.F("user"), models.F("window_end").desc(nulls_last=True), models.F("review").desc(),
                include=["expires_at"], name="review_reach_deadline_desc_idx",
            ),
            models.Index(fields=["user", "model_name", "review"], include=["expires_at"], name="review_reach_model_idx"),
            models.Index(fields=["user", "company_name", "review"], include=["expires_at"], name="review_reach_company_idx"),
            models.Index(fields=["user", "created_at", "review"], include=["expires_at"], name="review_reach_created_idx"),
            # Status, then the deadline ascending in either direction of status: two indexes.
            models.Index(fields=["user", "status", "window_end", "review"], include=["expires_at"], name="review_reach_status_idx"),
            models.Index(fields=["user", "-status", "window_end", "review"], include=["expires_at"], name="review_reach_status_desc_idx"),
            # The rows that expire, for the live part of a user's count (ReachDelta keeps the rest).
            models.Index(fields=["user", "expires_at"], condition=models.Q(expires_at__isnull=False), name="review_reach_expiring_idx"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} → review {self.review_id}"


class ReachDelta(models.Model):
    """Changes to how many reviews a user reaches for good (reach rows without
    an expiry), inserted by PostgreSQL statement triggers on ``ReviewReach``
    (migration 0020) in the same transaction as the rows: a user's count is
    the sum of their rows plus their unexpired expiring reach rows
    (``querysets.reach_count``). Rows are only ever inserted by grants, so no
    grant waits on another's; ``reviews_reach_delta_compact()`` folds each
    user's rows into one (``tasks.compact_reach_counts``)."""

    # No foreign key: a deleted user's reach rows go through the triggers
    # whatever the order of the deletion (what is left sums to 0).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    delta = models.IntegerField()
    # The same rows' review ids and their 64-bit hashes (hashint8extended(id,
    # 7331)), summed: with the live part of the expiring rows, the user's
    # reach fingerprint (search.probe, migration 0031).
    id_sum = models.BigIntegerField(db_default=0)
    hash_sum = models.DecimalField(max_digits=40, decimal_places=0, db_default=0)

    class Meta:
        indexes = [models.Index(fields=["user"], include=["delta"], name="reach_delta_user_idx")]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.delta:+d} reviews without expiry"


class ReviewTotal(models.Model):
    """The number of reviews (one row, id 1), kept by PostgreSQL statement
    triggers on ``Review`` (migration 0019): the program office's unfiltered
    list shows it instead of counting 100,000 reviews on each visit (9 ms)."""

    reviews = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="review_total_one_row")]

    def __str__(self) -> str:
        return f"{self.reviews} reviews"


class ReviewNameKey(models.Model):
    """Each review's model and company names, one row per review, written by
    PostgreSQL triggers only (migration 0015: a review's insert or change of
    model or company, a rename of either). The program office's list (every
    review) by model or company name walks its indexes: any page of 100,000,
    the middle one too, without joining and sorting the reviews."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, primary_key=True, related_name="+")
    model_name = models.CharField(max_length=120)
    company_name = models.CharField(max_length=200)

    class Meta:
        indexes = [
            models.Index(fields=["model_name", "review"], name="review_name_key_model_idx"),
            models.Index(fields=["company_name", "review"], name="review_name_key_company_idx"),
        ]

    def __str__(self) -> str:
        return f"review {self.review_id}: {self.model_name} / {self.company_name}"


class AccessAction(models.TextChoices):
    GRANT = "grant", "Granted"
    REVOKE = "revoke", "Revoked"
    EXPIRE = "expire", "Expired"
    EXPIRY_SET = "expiry_set", "Expiry set"


class AccessChange(models.Model):
    """The record of every grant and revocation on a review (kept after the grant row is gone)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="access_changes")
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    permission = models.CharField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="access_change_one_subject",
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.permission} on {self.review_id}"


class TermsAcceptance(models.Model):
    """A user's acceptance of one version of a review's access terms."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="terms_acceptances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="terms_acceptances")
    version = models.PositiveIntegerField()
    terms_sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "user", "version"], name="terms_acceptance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} accepted terms v{self.version} of {self.review_id}"


# How each kind of timeline entry reads (ReviewTransition.name).
TIMELINE_LABELS = {
    "create": "Draft created",
    "submit": "Submitted for review",
    "open": "Review window opened",
    "close": "Review closed",
    "withdraw": "Withdrawn",
    "extend": "Window extended",
    "clock_stop": "Clock stopped",
    "clock_resume": "Clock resumed",
    "sign_off": "Agency signed off",
    "certify": "Material returned or destroyed",
    "extension_request": "Extension requested",
    "extension_answer": "Company answered the extension request",
    "extension_decline": "Extension declined",
}


class ReviewTransition(models.Model):
    """One move of a review through its lifecycle; together they are its timeline."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(max_length=30)
    source = models.CharField(max_length=20, choices=ReviewStatus.choices)
    target = models.CharField(max_length=20, choices=ReviewStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.review_id}: {self.source} → {self.target}"

    @property
    def label(self) -> str:
        return TIMELINE_LABELS.get(self.name) or self.get_target_display()


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class CompanyAnswer(models.TextChoices):
    CONSENT = "consent", "Consents"
    OBJECT = "object", "Objects"


class ExtensionRequestQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        """Whoever sees the review sees its extension requests (companies see the agency, not the person)."""
        from .querysets import in_visible_reviews

        return in_visible_reviews(self, user, review=review)


class ExtensionRequest(models.Model):
    """A participating agency's lead asks for more days; the company consents or
    objects; a program admin decides."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="extension_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    days = models.PositiveIntegerField()
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    previous_end = models.DateTimeField(null=True, blank=True)
    new_end = models.DateTimeField(null=True, blank=True)
    # The company's say: the window delays its release, and taking part is voluntary.
    company_answer = models.CharField(max_length=20, choices=CompanyAnswer.choices, blank=True)
    company_reason = models.TextField(blank=True)
    company_answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    company_answered_at = models.DateTimeField(null=True, blank=True)
    # Why the program office decided before the company answered (required then).
    decided_without_company = models.TextField(blank=True)

    objects = ExtensionRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="extension_days_positive", condition=Q(days__gte=1)),
            models.UniqueConstraint(fields=["review"], condition=Q(status="pending"), name="extension_one_pending_per_review"),
        ]

    def __str__(self) -> str:
        return f"{self.days} more days on review {self.review_id} ({self.get_status_display()})"



class ExtensionPosition(models.Model):
    """Another participating agency's position on a pending extension request
    (the requesting agency's is the request itself); the program office sees
    every agency's position and the company's answer before deciding."""

    extension = models.ForeignKey(ExtensionRequest, on_delete=models.CASCADE, related_name="positions")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    supports = models.BooleanField()
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["extension", "agency"], name="extension_position_one_per_agency")]

    def __str__(self) -> str:
        return f"{self.agency} {'supports' if self.supports else 'opposes'} extension {self.extension_id}"


class ClockStop(models.Model):
    """A pause of the review's clock while a blocking RFI waits on the company.

    At most one stop is running per review (``resumed_at`` empty); on resume
    the stopped time is added to ``review.window_end``.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="clock_stops")
    rfi = models.ForeignKey("rfis.InformationRequest", on_delete=models.PROTECT, related_name="clock_stops")
    stopped_at = models.DateTimeField(default=timezone.now)
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["stopped_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review"], condition=Q(resumed_at__isnull=True), name="clock_stop_one_running"),
            models.CheckConstraint(
                name="clock_stop_order", condition=Q(resumed_at__isnull=True) | Q(resumed_at__gte=models.F("stopped_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"Clock of review {self.review_id} stopped {self.stopped_at:%Y-%m-%d}"


class CertificateKind(models.TextChoices):
    RETURN = "return", "Returned"
    DESTRUCTION = "destruction", "Destroyed"


class CertificateScope(models.TextChoices):
    ALL = "all", "All copies"
    EXCEPTIONS = "exceptions", "All copies except those listed"


class ReturnCertificate(models.Model):
    """A participating agency certifies that the material it received was
    returned or destroyed. Signing it ends that agency's grants on the review
    at once (``services.certificate_record``); it is part of the record and of
    the closing report, shown to the company with the agency's name."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="certificates")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    certified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    certified_at = models.DateTimeField(default=timezone.now)
    statement = models.TextField()
    kind = models.CharField(max_length=20, choices=CertificateKind.choices, default=CertificateKind.DESTRUCTION)
    method = models.CharField(max_length=300, blank=True, help_text="How the material was returned or destroyed.")
    done_on = models.DateField(null=True, blank=True, help_text="When the material was returned or destroyed.")
    signatory_name = models.CharField(max_length=200, blank=True)
    signatory_title = models.CharField(max_length=200, blank=True)
    scope = models.CharField(max_length=20, choices=CertificateScope.choices, default=CertificateScope.ALL)
    exceptions = models.TextField(blank=True, help_text="Copies kept, when the scope lists exceptions.")

    class Meta:
        ordering = ["certified_at", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "agency"], name="return_certificate_one_per_agency")]

    def __str__(self) -> str:
        return f"{self.agency} certified return of review {self.review_id} material"


class SignOffConclusion(models.TextChoices):
    READY = "ready", "Ready"
    NOT_READY = "not_ready", "Not ready"
    NO_OBJECTION = "no_objection", "No objection"
    COULD_NOT_COMPLETE = "could_not_complete", "Could not complete"


class SignOffQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        """Whoever sees the review sees every agency's sign-off (the signer's name only per ``accounts.people``)."""
        from .querysets import in_visible_reviews

        return in_visible_reviews(self, user, review=review)


class SignOff(models.Model):
    """One participating agency's conclusion on a review, recorded by its lead
    before the window ends; the review closes when every agency has one."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="sign_offs")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    conclusion = models.CharField(max_length=30, choices=SignOffConclusion.choices)
    summary = models.TextField()
    recommendations = models.TextField(blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    objects = SignOffQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "agency"], name="sign_off_one_per_agency")]

    def __str__(self) -> str:
        return f"{self.agency} signed off review {self.review_id}: {self.get_conclusion_display()}"
