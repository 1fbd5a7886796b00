"""Who may call the API at all. What they may see is decided by each model's visible_to()."""

from rest_framework.permissions import BasePermission

from reviews.querysets import user_may_see_anything


class IsPortalMember(BasePermission):
    """An authenticated, active user with a membership (a role in an organisation)."""

    message = "Your account has no role in the portal."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and user_may_see_anything(request.user))
