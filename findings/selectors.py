"""Reads of findings, always through ``visible_to``."""


from reviews.querysets import get_in_visible_review_or_404

from .models import Finding, FindingComment, FindingEvent


def finding_list(*, user, review):
    return (
        Finding.objects.visible_to(user, review=review)
        .select_related("agency", "category", "author__membership__agency", "author__membership__company")
        .prefetch_related("taxonomy")
        .order_by("-created_at", "-id")
    )


def finding_events(*, finding):
    """The finding's timeline (whoever sees the finding sees its moves; people are
    shown through accounts.people)."""
    return FindingEvent.objects.filter(finding=finding).select_related("actor__membership__agency", "actor__membership__company")


def finding_get(*, user, pk: int) -> Finding:
    return get_in_visible_review_or_404(
        Finding.objects.select_related("review__model", "review__company", "agency", "category", "author__membership__agency", "author__membership__company", "shared_by__membership__agency").prefetch_related("taxonomy"), user=user, pk=pk
    )


def finding_comments(*, user, finding):
    return (
        FindingComment.objects.visible_to(user, review=finding.review_id)
        .filter(finding=finding)
        .select_related("author__membership__agency", "author__membership__company")
    )
