"""The start of every scoped read."""


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
