from django.conf import settings


def portal(request):
    """Values every page needs: the product name, demo mode, the system-use notice."""
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_DEMO_MODE": settings.PORTAL_DEMO_MODE,
        "PORTAL_SYSTEM_USE_NOTICE": settings.PORTAL_SYSTEM_USE_NOTICE,
        # A session that has not completed its MFA step sees the minimal layout:
        # no bell, no notification text, no navigation (nothing that names a
        # review). accounts.middleware.RequireMFAMiddleware decides it, with
        # accounts.assurance; a request it did not see is treated as restricted.
        "session_restricted": bool(getattr(request, "session_restricted", getattr(getattr(request, "user", None), "is_authenticated", False))),
    }
