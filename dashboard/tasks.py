from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def refresh_office_figures() -> list[str]:
    """Periodic (every OFFICE_FIGURES_TTL): recounts the program office's
    dashboard figures so that no visit waits for them
    (``charts.office_figures_refresh``). Counted from an active program
    admin's scope — every review, the same for each of them; with none,
    nobody sees them and nothing is counted. Returns the figures kept."""
    from accounts.models import Role, User

    from .charts import office_figures_refresh

    admin = (
        User.objects.select_related("membership")
        .filter(is_active=True, membership__role=Role.PROGRAM_ADMIN)
        .order_by("pk")
        .first()
    )
    if admin is None:
        return []
    return office_figures_refresh(user=admin)
