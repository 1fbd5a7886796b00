"""The start of every scoped read."""


def user_may_see_anything(user) -> bool:
    """Signed in, active and a member of an organisation (or the program office):
    every ``visible_to`` starts from this; anyone else sees nothing."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and getattr(user, "membership", None))
