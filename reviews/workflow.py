"""The review lifecycle as one table: which move, from where, to where, by whom.

``draft → submitted → in review → closed``, and ``withdrawn`` from any state
before closed. Services call ``check`` on the locked review with the actor's
``Standing`` before they change anything; the table is the only place a
transition's rules and its words (label, what it does, the confirmation)
live. Guards that other apps add (readiness: no closing while a mandatory
criterion is unanswered) join through ``reviews.hooks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from portal.errors import Refused

from . import hooks
from .models import Review, ReviewStatus
from .standing import Standing

S = ReviewStatus


class TransitionError(Refused):
    """A move that is not allowed; the message says why, for the person who tried."""

    code = "invalid_transition"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    allowed: Callable[[Standing], bool]  # the role only; ``sources`` is the state
    who: str
    past: str
    explains: str  # what the move does, shown beside its button
    confirm: str = ""  # a question the browser asks before the move, when it is grave
    comment_label: str = "Comment"
    comment_required: bool = False
    danger: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "submit", "Submit for review", (S.DRAFT,), S.SUBMITTED, lambda s: s.is_company, "the company's liaisons",
            "submitted",
            "The participating agencies' leads are notified and can assign their reviewers. You can still withdraw afterwards.",
        ),
        Transition(
            "open", "Open the review window", (S.SUBMITTED,), S.IN_REVIEW, lambda s: s.is_program_office, "program admins", "opened",
            "Starts the review window now. Reviewers who accept their assignment get access to the material.",
        ),
        Transition(
            "close", "Close the review", (S.IN_REVIEW,), S.CLOSED, lambda s: s.is_closer,
            "program admins", "closed",
            "Ends the review for every participating agency: once every agency has signed off, or after the window "
            "ends with a reason naming the agencies that did not. Agency access then expires after the program's grace period.",
            confirm="Close this review for every participating agency?",
        ),
        Transition(
            "withdraw", "Withdraw from review", (S.DRAFT, S.SUBMITTED, S.IN_REVIEW), S.WITHDRAWN, lambda s: s.is_company,
            "the company's liaisons", "withdrawn",
            "Takes the model out of review. The agencies lose access. This cannot be undone.",
            confirm="Withdraw this review? The agencies will lose access and this cannot be undone.",
            comment_label="Reason for withdrawing", comment_required=True, danger=True,
        ),
    )
}

def check(*, review: Review, name: str, standing: Standing) -> Transition:
    """The transition, or TransitionError saying why ``standing``'s user may not make it now."""
    transition = TRANSITIONS[name]
    if review.status not in transition.sources:
        raise TransitionError(
            f"A review that is {review.status_phrase} cannot be {transition.past}."
        )
    if not transition.allowed(standing):
        raise TransitionError(f"Only {transition.who} may {transition.label[0].lower() + transition.label[1:]}.")
    check_guards(review=review, name=name)
    return transition


def check_guards(*, review: Review, name: str, prefix: str = "") -> None:
    """Raises TransitionError with the first objection of a guard joined to ``name`` (``reviews.hooks``)."""
    for guard in hooks.guards(name):
        if reason := guard(review):
            raise TransitionError(f"{prefix}{reason}")


def available(*, standing: Standing) -> list[Transition]:
    """The moves ``standing``'s user may offer on the review now (guards are checked on the move)."""
    return [t for t in TRANSITIONS.values() if standing.status in t.sources and t.allowed(standing)]
