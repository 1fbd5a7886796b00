from django.conf import settings


def portal(request):
    """Values every page needs: the product name, demo mode, the system-use notice."""
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_DEMO_MODE": settings.PORTAL_DEMO_MODE,
        "PORTAL_SYSTEM_USE_NOTICE": settings.PORTAL_SYSTEM_USE_NOTICE,
    }
