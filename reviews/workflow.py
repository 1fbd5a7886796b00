"""The review lifecycle as one table: which move, from where, to where, by whom.

``draft → submitted → in review → closed``, and ``withdrawn`` from any state
before closed. Services call ``check`` before they change anything; the
table is the only place a transition's rules live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .models import Review, ReviewStatus

S = ReviewStatus


class TransitionError(Exception):
    """A move that is not allowed; the message says why, for the person who tried."""


def _is_company_liaison(user, review: Review) -> bool:
    return user.is_company_liaison and user.company_id == review.company_id


def _is_admin(user, review: Review) -> bool:
    return user.is_program_admin


def _is_participating_lead(user, review: Review) -> bool:
    if not user.is_agency_lead:
        return False
    if hasattr(review, "my_agency_participates"):  # read with the review (selectors.review_detail_get)
        return review.my_agency_participates
    return review.participations.filter(agency_id=user.agency_id).exists()


def _readiness_complete(review: Review) -> str | None:
    from readiness.selectors import progress

    open_mandatory = progress(review=review).mandatory_open
    if open_mandatory:
        return (
            f"The review cannot close while {open_mandatory} mandatory readiness "
            f"criteri{'on is' if open_mandatory == 1 else 'a are'} unanswered."
        )
    return None


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    allowed: Callable[[object, Review], bool]
    who: str
    past: str
    guard: Callable[[Review], str | None] | None = None


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("submit", "Submit for review", (S.DRAFT,), S.SUBMITTED, _is_company_liaison, "the company's liaisons", "submitted"),
        Transition("open", "Open the review window", (S.SUBMITTED,), S.IN_REVIEW, _is_admin, "program admins", "opened"),
        Transition(
            "close",
            "Close the review",
            (S.IN_REVIEW,),
            S.CLOSED,
            lambda u, r: _is_admin(u, r) or _is_participating_lead(u, r),
            "a participating agency's leads or program admins",
            "closed",
            _readiness_complete,
        ),
        Transition(
            "withdraw",
            "Withdraw from review",
            (S.DRAFT, S.SUBMITTED, S.IN_REVIEW),
            S.WITHDRAWN,
            _is_company_liaison,
            "the company's liaisons",
            "withdrawn",
        ),
    )
}


def check(*, review: Review, name: str, user) -> Transition:
    transition = TRANSITIONS[name]
    if review.status not in transition.sources:
        raise TransitionError(
            f"A review that is {review.get_status_display().lower()} cannot be {transition.past}."
        )
    if not transition.allowed(user, review):
        raise TransitionError(f"Only {transition.who} may {transition.label[0].lower() + transition.label[1:]}.")
    if transition.guard is not None and (reason := transition.guard(review)):
        raise TransitionError(reason)
    return transition


def available(*, review: Review, user) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if review.status in t.sources and t.allowed(user, review)]
