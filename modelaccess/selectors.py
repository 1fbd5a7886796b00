"""Reads of model access, scoped by the reader's ``Standing``.

Endpoints are part of the review's material (whoever sees the review and has
accepted its terms). Credentials' *status* is shown to the program office and
the company (reviewers by pseudonym), to an agency lead for their own agency's
reviewers, and to a reviewer for their own; the secret is never read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404
from django.utils import timezone

from accounts.people import may_name
from reviews.pseudonyms import reviewer_pseudonyms
from reviews.standing import Standing

from .models import AccessEndpoint, Credential
from .rules import lapse_reason, review_facts, wait_reason


def endpoint_list(*, review) -> list[AccessEndpoint]:
    return list(AccessEndpoint.objects.filter(review_id=review.pk).select_related("created_by"))


@dataclass(frozen=True)
class CredentialRow:
    credential: Credential
    who: str  # the reviewer as the reader may see them
    state: str  # set_up, waiting, revealed, expired, to_rotate, rotated, revoked
    label: str
    detail: str
    at: datetime | None


STATE_LABELS = {
    "set_up": "Set up, not revealed yet",
    "waiting": "Set up, not revealable yet",
    "revealed": "Revealed",
    "to_rotate": "Expired: to rotate",
    "rotated": "Expired: rotated",
    "revoked": "Revoked",
}


def credential_state(credential: Credential, facts, *, now=None) -> tuple[str, str, datetime | None]:
    """(state, detail, when) of one credential, decided now (an ended grant shows as
    "to rotate" before the sweep has recorded it)."""
    now = now or timezone.now()
    if credential.revoked_at is not None:
        return "revoked", credential.revoke_reason, credential.revoked_at
    reason = credential.end_reason if credential.ended_at else lapse_reason(credential, facts, now=now)
    if reason:
        if credential.rotated_at is not None:
            return "rotated", reason, credential.rotated_at
        return "to_rotate", reason, credential.ended_at or now
    if credential.revealed_at is not None:
        return "revealed", "", credential.revealed_at
    waiting = wait_reason(credential, facts, now=now)
    if waiting:
        return "waiting", waiting, credential.issued_at
    return "set_up", "", credential.issued_at


def credential_queryset(*, user, standing: Standing):
    """The credentials of the review whose status ``user`` may see (none: empty)."""
    qs = Credential.objects.filter(review_id=standing.review_id)
    scope = standing.credential_status_scope
    if scope == "all":
        return qs
    if scope == "agency":
        return qs.filter(agency_id=standing.agency_id)
    if scope == "own":
        return qs.filter(reviewer_id=user.pk)
    return qs.none()


def credential_rows(*, user, review, standing: Standing, include_history: bool = True) -> list[CredentialRow]:
    """The status table of the review's model access page, for this reader."""
    qs = credential_queryset(user=user, standing=standing).select_related(
        "endpoint", "reviewer__membership__agency", "reviewer__membership__company"
    )
    if not include_history:
        qs = qs.filter(revoked_at__isnull=True)
    credentials = list(qs.order_by("endpoint_id", "agency_id", "issued_at", "id"))
    if not credentials:
        return []
    facts = review_facts(review)
    labels = reviewer_pseudonyms(review_id=review.pk)
    rows = []
    for credential in credentials:
        state, detail, at = credential_state(credential, facts)
        pseudonym = labels.get(credential.reviewer_id, "A reviewer")
        # The company sees only the pseudonym; those who may name the person see both.
        reviewer = credential.reviewer
        who = f"{reviewer.get_full_name()} ({pseudonym})" if may_name(reviewer, viewer=user) else pseudonym
        rows.append(CredentialRow(credential=credential, who=who, state=state, label=STATE_LABELS[state], detail=detail, at=at))
    return rows


def eligible_pseudonyms(*, review) -> list[str]:
    """The accepted reviewers a credential may be issued to, as the company names them."""
    facts = review_facts(review)
    labels = reviewer_pseudonyms(review_id=review.pk)
    return sorted((labels[r] for r in facts.active & facts.accepted if r in labels), key=lambda s: (s.split()[0], int(s.split()[-1])))


def own_credential_get(*, user, pk: int) -> Credential:
    """A credential issued to ``user`` (anyone else's, or none: 404)."""
    credential = Credential.objects.select_related("endpoint", "review").filter(pk=pk, reviewer_id=user.pk).first()
    if credential is None:
        raise Http404
    return credential


def company_credential_get(*, user, pk: int) -> Credential:
    """A credential of a review of the user's own company (else 404)."""
    if not getattr(user, "is_company_liaison", False):
        raise Http404
    credential = Credential.objects.select_related("endpoint", "review").filter(pk=pk, review__company_id=user.company_id).first()
    if credential is None:
        raise Http404
    return credential
