"""Writing findings: record, share, comment.

A finding starts internal to its author's agency; that agency's lead widens
it to the participating agencies or to the company (never narrows it).
Texts sent to the company never name the author.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from notifications.services import notification_send
from portal.errors import NotAllowed, Refused
from reviews.audience import review_audience
from reviews.models import Review
from reviews.standing import standing_of

from .models import DEFAULT_CATEGORIES, Finding, FindingCategory, FindingComment, Severity, Sharing

WIDER = {Sharing.INTERNAL: 0, Sharing.AGENCIES: 1, Sharing.COMPANY: 2}


class FindingError(Refused):
    """A change the finding's state does not allow."""

    code = "invalid_transition"


def _url(finding) -> str:
    return reverse("finding_detail", kwargs={"pk": finding.pk})


@transaction.atomic
def finding_create(
    *, review_id: int, actor, title: str, category: FindingCategory | None, severity: str, description: str, evidence: str = ""
) -> Finding:
    """Records a finding, internal to the actor's agency.

    Side effects: the agency's other people on the review are notified;
    audit ``finding.create``.
    """
    review = Review.objects.select_for_update().select_related("model").get(pk=review_id)
    standing = standing_of(user=actor, review=review)
    if not standing.may_record_finding:
        raise NotAllowed("Only the review's participating leads and accepted reviewers record findings, while it is in review.")
    standing.require_material()
    errors = {}
    if severity not in Severity.values:
        errors["severity"] = "Choose a severity."
    if category is None:
        errors["category"] = "Choose a category."
    if errors:
        raise ValidationError(errors)
    finding = Finding(
        review=review, agency_id=actor.agency_id, author=actor, title=title.strip(), category=category,
        severity=severity, description=description.strip(), evidence=evidence.strip(),
    )
    finding.full_clean()
    finding.save()
    audit_record(
        action="finding.create", actor=actor, target=finding, review=review,
        payload={"title": finding.title, "severity": severity, "category": str(category)},
    )
    notification_send(
        recipients=[u for u in review_audience(review=review, company=False, agency_ids=[finding.agency_id]) if u != actor],
        verb="finding.recorded",
        title=f"{review}: new {finding.get_severity_display().lower()} finding \"{finding.title}\"",
        url=_url(finding),
    )
    return finding


@transaction.atomic
def finding_share(*, finding_id: int, actor, sharing: str) -> Finding:
    """The author agency's lead widens a finding's audience (internal → agencies → company).

    Locks the finding row. Side effects: the newly included people are
    notified (the company learns the agency, never the author); audit
    ``finding.share``.
    """
    finding = Finding.objects.select_for_update().select_related("review__model", "agency").get(pk=finding_id)
    standing = standing_of(user=actor, review=finding.review_id)
    if not standing.may_share_finding(finding):
        raise NotAllowed("Only a lead of the finding's agency may share it.")
    standing.require_material()
    if sharing not in (Sharing.AGENCIES, Sharing.COMPANY):
        raise ValidationError({"sharing": "Choose who to share the finding with."})
    if WIDER[sharing] <= WIDER[finding.sharing]:
        raise FindingError(f"This finding is already {finding.get_sharing_display().lower()}.")
    previous = finding.sharing
    finding.sharing = sharing
    finding.shared_by = actor
    finding.shared_at = timezone.now()
    finding.full_clean()
    finding.save()
    audit_record(action="finding.share", actor=actor, target=finding, review=finding.review, payload={"from": previous, "to": sharing})
    review = finding.review
    title = f"{review}: {finding.agency.acronym} shared a {finding.get_severity_display().lower()} finding \"{finding.title}\""
    if previous == Sharing.INTERNAL:
        others = review_audience(review=review, company=False).exclude(membership__agency_id=finding.agency_id)
        notification_send(recipients=others, verb="finding.shared", title=title, url=_url(finding))
    if sharing == Sharing.COMPANY:
        notification_send(recipients=review_audience(review=review, agencies=False), verb="finding.shared", title=title, url=_url(finding))
    return finding


@transaction.atomic
def finding_comment(*, finding_id: int, actor, body: str, internal: bool = True) -> FindingComment:
    """Adds a comment. Agency comments may be internal (their agency only);
    a company liaison's comment on a finding shared with the company is its
    response and is never internal. Side effect: audit ``finding.comment``;
    a company response notifies the author's agency.
    """
    finding = Finding.objects.select_related("review__model", "agency").get(pk=finding_id)
    standing = standing_of(user=actor, review=finding.review_id)
    side = standing.finding_comment_side(finding)
    if side is None:
        raise NotAllowed("You cannot comment on this finding.")
    standing.require_material()
    if not body.strip():
        raise ValidationError({"body": "Write the comment."})
    comment = FindingComment(
        finding=finding, author=actor, side=side, agency_id=actor.agency_id if side == "agency" else None,
        internal=internal if side == "agency" else False, body=body.strip(),
    )
    comment.full_clean()
    comment.save()
    audit_record(action="finding.comment", actor=actor, target=finding, review=finding.review, payload={"internal": comment.internal})
    if side == "company":
        notification_send(
            recipients=review_audience(review=finding.review, company=False, agency_ids=[finding.agency_id]),
            verb="finding.response",
            title=f"{finding.review}: {finding.review.company} responded to \"{finding.title}\"",
            url=_url(finding),
        )
    return comment


def ensure_default_categories() -> None:
    """The seed catalogue (also a data migration); idempotent."""
    for position, name in enumerate(DEFAULT_CATEGORIES):
        FindingCategory.objects.get_or_create(name=name, defaults={"position": position})
