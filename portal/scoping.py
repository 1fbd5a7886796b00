"""The start of every scoped read."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_clock: ContextVar = ContextVar("portal_scope_clock", default=None)


def scope_now():
    """The moment unexpired grants are judged at: now, or the moment of the
    statement being built inside ``scope_clock`` (``portal.statements`` builds a
    statement at stand-in moments to find where "now" sits in it)."""
    return _clock.get() or timezone.now()


@contextmanager
def scope_clock(moment):
    """``scope_now()`` answers ``moment`` inside (None: the clock, unchanged)."""
    if moment is None:
        yield
        return
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


def user_may_see_anything(user) -> bool:
    """Signed in, active and a member of an organisation (or the program office):
    every ``visible_to`` starts from this; anyone else sees nothing."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and getattr(user, "membership", None))


def reader_key(user) -> tuple:
    """Everything about ``user`` that a scoped statement is built from (who they
    are, whether they may see anything, their role and organisation): two
    readers with equal keys get the same SQL and parameters from every
    ``visible_to`` and ``Standing`` expression (``portal.statements`` caches
    compiled statements under it)."""
    membership = getattr(user, "membership", None)
    return (
        getattr(user, "pk", None),
        user_may_see_anything(user),
        getattr(membership, "role", None),
        getattr(membership, "agency_id", None),
        getattr(membership, "company_id", None),
    )
