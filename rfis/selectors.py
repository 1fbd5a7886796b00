"""Reads of information requests, always through ``visible_to``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from .models import InformationRequest, RfiMessage


def rfi_list(*, user, review):
    return (
        InformationRequest.objects.visible_to(user)
        .filter(review=review)
        .select_related("agency", "asked_by")
        .order_by("status", "due_at", "id")
    )


def rfi_get(*, user, pk: int) -> InformationRequest:
    return get_object_or_404(
        InformationRequest.objects.visible_to(user).select_related("review__model", "review__company", "agency", "asked_by"),
        pk=pk,
    )


def rfi_thread(*, rfi: InformationRequest):
    # Attachments are documents of the same review, visible to whoever sees the RFI.
    return (
        RfiMessage.objects.filter(rfi=rfi)
        .select_related("author__membership__agency", "author__membership__company")
        .prefetch_related("attachments")
    )
