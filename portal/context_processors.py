from django.conf import settings


def portal(request):
    """Values every page needs: the product name, demo mode, the bell (unread count and newest unread)."""
    user = getattr(request, "user", None)
    unread, recent = 0, []
    if user is not None and user.is_authenticated:
        from notifications.selectors import notification_bell

        unread, recent = notification_bell(user=user)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_DEMO_MODE": settings.PORTAL_DEMO_MODE,
        "PORTAL_SYSTEM_USE_NOTICE": settings.PORTAL_SYSTEM_USE_NOTICE,
        "notification_unread_count": unread,
        "notification_recent": recent,
    }
