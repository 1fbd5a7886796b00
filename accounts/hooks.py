"""Where apps above accounts join a change of someone's membership.

``accounts`` sits below the reviews core in the layering (.importlinter), so
it does not import it. When a reviewer moves to another agency or role, the
apps that hold their work act on it through the functions registered here
(``reviews.apps`` registers the one that takes them off their reviews).
"""

from __future__ import annotations

from typing import Callable

_reviewer_left: list[Callable] = []


def on_reviewer_left_agency(fn: Callable) -> None:
    """``fn(user=…, actor=…)`` runs in the membership change's transaction."""
    if fn not in _reviewer_left:
        _reviewer_left.append(fn)


def reviewer_left_agency() -> list[Callable]:
    return list(_reviewer_left)
