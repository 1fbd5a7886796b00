"""Reviewers as the company sees them: "NSA reviewer 2".

Companies never learn who reviews their model (``accounts.people`` shows
them the agency). Where the company must tell reviewers apart — issuing each
one a credential to the model, seeing who revealed theirs — it sees a
pseudonym: the agency's acronym and a number, per review, in the order the
agency first invited its reviewers to that review. Assignments are never
deleted, so a pseudonym stays the same for the life of the review and says
nothing about the person.
"""

from __future__ import annotations

from django.db.models import Min

from .models import Assignment


def reviewer_pseudonyms(*, review_id: int) -> dict[int, str]:
    """``{reviewer_id: "NSA reviewer 2"}`` for everyone ever invited to the review (one query)."""
    rows = (
        Assignment.objects.filter(review_id=review_id)
        .values("reviewer_id", "agency_id", "agency__acronym")
        .annotate(first=Min("pk"))
        .order_by("agency_id", "first")
    )
    labels: dict[int, str] = {}
    counts: dict[int, int] = {}
    for row in rows:
        if row["reviewer_id"] in labels:
            continue  # a reviewer who moved agency keeps the first label
        counts[row["agency_id"]] = counts.get(row["agency_id"], 0) + 1
        labels[row["reviewer_id"]] = f"{row['agency__acronym']} reviewer {counts[row['agency_id']]}"
    return labels


def reviewer_by_pseudonym(*, review_id: int) -> dict[str, int]:
    """The inverse, matched without regard to case or surrounding spaces."""
    return {label.casefold(): reviewer_id for reviewer_id, label in reviewer_pseudonyms(review_id=review_id).items()}


def normalise(pseudonym: str) -> str:
    return " ".join(pseudonym.split()).casefold()
