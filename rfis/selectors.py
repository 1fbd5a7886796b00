"""Reads of information requests, always through ``visible_to``."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from reviews.querysets import review_id_of

from .models import InformationRequest, RfiMessage


def rfi_list(*, user, review):
    return (
        InformationRequest.objects.visible_to(user, review=review)
        .select_related("agency", "asked_by")
        .order_by("status", "due_at", "id")
    )


def rfi_get(*, user, pk: int) -> InformationRequest:
    review_id = review_id_of(InformationRequest, pk)
    if review_id is None:
        raise Http404
    return get_object_or_404(
        InformationRequest.objects.visible_to(user, review=review_id).select_related("review__model", "review__company", "agency", "asked_by"),
        pk=pk,
    )


def rfi_thread(*, rfi: InformationRequest):
    # Attachments are documents of the same review, visible to whoever sees the RFI.
    return (
        RfiMessage.objects.filter(rfi=rfi)
        .select_related("author__membership__agency", "author__membership__company")
        .prefetch_related("attachments")
    )
