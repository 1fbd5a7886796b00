def bell(request):
    """The bell on every page: the unread count and the newest unread notifications."""
    user = getattr(request, "user", None)
    unread, recent = 0, []
    # Not for a session that has not completed its MFA step (accounts.middleware.RequireMFAMiddleware).
    restricted = getattr(request, "session_restricted", True)
    if user is not None and user.is_authenticated and not restricted:
        from .selectors import notification_bell

        unread, recent = notification_bell(user=user)
    return {"notification_unread_count": unread, "notification_recent": recent}
