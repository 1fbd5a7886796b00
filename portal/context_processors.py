from django.conf import settings

from accounts.assurance import session_mfa_verified


def portal(request):
    """Values every page needs: the product name, demo mode, the bell (unread count and newest unread)."""
    user = getattr(request, "user", None)
    unread, recent = 0, []
    # A session that has not completed its MFA step sees the minimal layout: no bell,
    # no notification text, no navigation (nothing that names a review).
    restricted = bool(
        user is not None and user.is_authenticated and settings.PORTAL_REQUIRE_MFA and not session_mfa_verified(request)
    )
    if user is not None and user.is_authenticated and not restricted:
        from notifications.selectors import notification_bell

        unread, recent = notification_bell(user=user)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_DEMO_MODE": settings.PORTAL_DEMO_MODE,
        "PORTAL_SYSTEM_USE_NOTICE": settings.PORTAL_SYSTEM_USE_NOTICE,
        "notification_unread_count": unread,
        "notification_recent": recent,
        "session_restricted": restricted,
    }
