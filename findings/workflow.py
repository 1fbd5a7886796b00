"""A finding's lifecycle as one table: which move, from where, to where, by whom.

``draft → recorded (agency-internal) → shared (with the agencies / the company)
→ company response (acknowledged · fix planned · fixed · risk accepted ·
disputed) → agency retest (verified fixed · still present) → closed``.
The same style as ``reviews.workflow``: services lock the finding row, read
the actor's ``Standing`` again and call ``check`` before they change
anything; each move is a ``FindingEvent`` (actor, time, comment).
An accepted risk reopens on its expiry (``findings.tasks``): the portal's move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from portal.errors import Refused
from reviews.standing import Standing

from .models import Finding, FindingStatus, Response, RetestResult

S = FindingStatus


class FindingTransitionError(Refused):
    """A move the finding's state does not allow; the message says why."""

    code = "invalid_transition"


@dataclass(frozen=True)
class FindingTransition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    allowed: Callable[[Standing, Finding], bool]
    who: str
    explains: str
    guard: Callable[[Finding], str | None] = lambda finding: None


def _close_guard(finding: Finding) -> str | None:
    if finding.retest_result == RetestResult.STILL_PRESENT:
        return "The last retest found the problem still present; the company responds again before it closes."
    if finding.response == Response.FIXED and finding.retest_result != RetestResult.VERIFIED_FIXED:
        return "The company reports this finding fixed: an agency must retest it and verify the fix before it closes."
    return None


def _respond_guard(finding: Finding) -> str | None:
    if finding.retest_result == RetestResult.VERIFIED_FIXED:
        return "An agency has verified the fix; there is nothing left to respond to."
    return None


TRANSITIONS: dict[str, FindingTransition] = {
    t.name: t
    for t in (
        FindingTransition(
            "record", "Record the finding", (S.DRAFT,), S.RECORDED, lambda s, f: s.may_edit_finding(f),
            "the finding's agency", "Records the draft; it stays within your agency until your lead shares it.",
        ),
        FindingTransition(
            "respond", "Respond", (S.SHARED, S.RESPONDED, S.RETESTED), S.RESPONDED,
            lambda s, f: s.may_respond_to_finding(f), "the company's liaisons, once the finding is shared with them",
            "Tells the agencies how the company handles the finding.", guard=_respond_guard,
        ),
        FindingTransition(
            "retest", "Record a retest", (S.RESPONDED, S.RETESTED), S.RETESTED, lambda s, f: s.may_retest_finding(f),
            "a participating agency that sees the finding", "Records whether the problem is still there after the company's response.",
        ),
        FindingTransition(
            "close", "Close the finding", (S.RECORDED, S.SHARED, S.RESPONDED, S.RETESTED), S.CLOSED,
            lambda s, f: s.may_close_finding(f), "a lead of the finding's agency or program admins",
            "Ends the finding's lifecycle. A finding the company reports fixed closes only after a verifying retest.",
            guard=_close_guard,
        ),
    )
}


def check(*, finding: Finding, name: str, standing: Standing) -> FindingTransition:
    """The transition, or a refusal saying why ``standing``'s user may not make it now."""
    from portal.errors import NotAllowed

    transition = TRANSITIONS[name]
    if not transition.allowed(standing, finding):
        raise NotAllowed(f"Only {transition.who} may do this.")
    if finding.status not in transition.sources:
        raise FindingTransitionError(
            f"A finding that is {finding.get_status_display().lower()} cannot move to "
            f"{FindingStatus(transition.target).label.lower()} ({transition.label.lower()})."
        )
    reason = transition.guard(finding)
    if reason:
        raise FindingTransitionError(reason)
    return transition


def available(*, finding: Finding, standing: Standing) -> list[FindingTransition]:
    """The moves the reader could make now (the page offers exactly these)."""
    return [
        t for t in TRANSITIONS.values()
        if finding.status in t.sources and t.allowed(standing, finding) and not t.guard(finding)
    ]
