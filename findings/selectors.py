"""Reads of findings, always through ``visible_to``."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from reviews.querysets import review_id_of

from .models import Finding, FindingComment


def finding_list(*, user, review):
    return (
        Finding.objects.visible_to(user, review=review)
        .select_related("agency", "category", "author")
        .order_by("-created_at", "-id")
    )


def finding_get(*, user, pk: int) -> Finding:
    review_id = review_id_of(Finding, pk)
    if review_id is None:
        raise Http404
    return get_object_or_404(
        Finding.objects.visible_to(user, review=review_id).select_related("review__model", "review__company", "agency", "category", "author", "shared_by"),
        pk=pk,
    )


def finding_comments(*, user, finding):
    return (
        FindingComment.objects.visible_to(user, review=finding.review_id)
        .filter(finding=finding)
        .select_related("author__membership__agency", "author__membership__company")
    )
