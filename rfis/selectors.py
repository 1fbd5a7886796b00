"""Reads of information requests, always through ``visible_to``."""

from __future__ import annotations


from reviews.querysets import get_in_visible_review_or_404

from .models import InformationRequest, RfiMessage


def rfi_list(*, user, review):
    return (
        InformationRequest.objects.visible_to(user, review=review)
        .select_related("agency", "asked_by__membership__agency", "asked_by__membership__company")
        .order_by("status", "due_at", "id")
    )


def rfi_get(*, user, pk: int) -> InformationRequest:
    return get_in_visible_review_or_404(
        InformationRequest.objects.select_related("review__model", "review__company", "agency", "asked_by__membership__agency"), user=user, pk=pk
    )


def rfi_thread(*, rfi: InformationRequest):
    # Attachments are documents of the same review, visible to whoever sees the RFI.
    return (
        RfiMessage.objects.filter(rfi=rfi)
        .select_related("author__membership__agency", "author__membership__company")
        .prefetch_related("attachments")
    )
