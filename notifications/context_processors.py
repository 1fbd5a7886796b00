def bell(request):
    """The bell on every page: the unread count and the newest unread notifications."""
    user = getattr(request, "user", None)
    unread, recent = 0, []
    if user is not None and user.is_authenticated:
        from .selectors import notification_bell

        unread, recent = notification_bell(user=user)
    return {"notification_unread_count": unread, "notification_recent": recent}
