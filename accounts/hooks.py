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


# --- single sign-on (the sso app, above accounts, plugs itself in) -----------------

_identity_provider_for_email: Callable | None = None
_sign_in_methods: Callable | None = None


def use_single_sign_on(*, identity_provider_for_email: Callable, sign_in_methods: Callable) -> None:
    """``identity_provider_for_email(email)`` → the enabled provider that routes
    the address, or None; ``sign_in_methods(user_ids)`` → {user id: how they sign in}."""
    global _identity_provider_for_email, _sign_in_methods
    _identity_provider_for_email, _sign_in_methods = identity_provider_for_email, sign_in_methods


def identity_provider_for_email(email: str):
    return _identity_provider_for_email(email) if _identity_provider_for_email else None


def sign_in_methods(user_ids) -> dict:
    return _sign_in_methods(user_ids) if _sign_in_methods else {}
