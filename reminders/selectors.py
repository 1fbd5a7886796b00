from accounts.models import User

from .models import Reminder


def reminder_history(*, review_id: int, user: User):
    """What was sent about a review, for its page. Companies see only what
    went to their own people (never which analyst was reminded)."""
    qs = Reminder.objects.filter(review_id=review_id).select_related("rule", "recipient__membership__agency").order_by("-due_at")
    if user.is_company_liaison:
        return qs.filter(recipient__membership__company_id=user.company_id)
    if user.is_agency_lead or user.is_agency_reviewer:
        return qs.filter(recipient__membership__agency_id=user.agency_id)
    return qs
