"""Reads of information requests, always through ``visible_to``."""

from __future__ import annotations


import re

from django.db import connection
from django.db.models import Prefetch, Q

from reviews.querysets import get_in_visible_review_or_404

from .models import InformationRequest, RfiFollow, RfiMessage

# "Asked already?": a question counts as similar when pg_trgm's similarity of
# its subject to the typed subject, or of its text to the typed text, reaches
# this (pg_trgm's own default for the % operator). rfis/tests/test_shared_questions.py
# pins it with examples that must and must not match.
SIMILARITY_THRESHOLD = 0.3
SUGGESTION_LIMIT = 5
_WORD = re.compile(r"[^\W_]{4,}")


def _follows():
    return Prefetch("follows", queryset=RfiFollow.objects.select_related("agency"))


def rfi_list(*, user, review):
    return (
        InformationRequest.objects.visible_to(user, review=review)
        .select_related("agency", "asked_by__membership__agency", "asked_by__membership__company")
        .prefetch_related(_follows())
        .order_by("status", "due_at", "id")
    )


def rfi_faq(*, user, review):
    """The review's FAQ: published questions with their answers, for whoever sees the review."""
    answers = Prefetch(
        "messages", queryset=RfiMessage.objects.filter(kind=RfiMessage.Kind.ANSWER).order_by("created_at", "id"), to_attr="answers"
    )
    return (
        InformationRequest.objects.visible_to(user, review=review)
        .filter(faq_published_at__isnull=False)
        .select_related("agency")
        .prefetch_related(_follows(), answers)
        .order_by("category", "faq_published_at", "id")
    )


def company_liaisons(*, review):
    """The liaisons a question on ``review`` can be routed to (the company's active liaisons)."""
    from accounts.models import Role, User

    return User.objects.filter(
        is_active=True, membership__role=Role.COMPANY_LIAISON, membership__company_id=review.company_id
    ).select_related("membership__company").order_by("full_name", "id")


def rfi_get(*, user, pk: int) -> InformationRequest:
    return get_in_visible_review_or_404(
        InformationRequest.objects.select_related("review__model", "review__company", "agency", "asked_by__membership__agency",
                                                  "assignee__membership__company")
        .prefetch_related(_follows()),
        user=user, pk=pk,
    )


def rfi_similar(*, user, review, subject: str = "", question: str = "", limit: int = SUGGESTION_LIMIT):
    """Questions on ``review`` that ``user`` may see and that read like the one
    being typed, most similar first: pg_trgm's similarity on PostgreSQL
    (``SIMILARITY_THRESHOLD``), on SQLite a plain match of the typed subject's
    words (four letters or more). Built on ``visible_to``, so another agency's
    private question is never suggested. ``review`` may be the reader's Standing."""
    subject, question = subject.strip(), question.strip()
    if len(subject) < 3 and len(question) < 3:
        return InformationRequest.objects.none()
    qs = (
        InformationRequest.objects.visible_to(user, review=review)
        .select_related("agency")
        .prefetch_related(_follows())
    )
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity
        from django.db.models import Value
        from django.db.models.functions import Greatest

        parts = []
        if len(subject) >= 3:
            parts.append(TrigramSimilarity("subject", Value(subject)))
        if len(question) >= 3:
            parts.append(TrigramSimilarity("question", Value(question)))
        score = Greatest(*parts) if len(parts) > 1 else parts[0]
        return qs.annotate(similarity=score).filter(similarity__gte=SIMILARITY_THRESHOLD).order_by("-similarity", "id")[:limit]
    words = {w.lower() for w in _WORD.findall(subject or question)}
    if not words:
        return InformationRequest.objects.none()
    match = Q()
    for word in sorted(words):
        match |= Q(subject__icontains=word)
    return qs.filter(match).order_by("-created_at", "-id")[:limit]


def rfi_thread(*, rfi: InformationRequest):
    # Attachments are documents of the same review, visible to whoever sees the RFI.
    return (
        RfiMessage.objects.filter(rfi=rfi)
        .select_related("author__membership__agency", "author__membership__company")
        .prefetch_related("attachments")
    )
