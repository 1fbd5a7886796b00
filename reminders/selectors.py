from datetime import datetime

from django.db.models import Count, Q

from accounts.models import User

from .models import Reminder


def reminder_history(*, review_id: int, user: User, target_type: str | None = None, target_id: int | None = None):
    """What was sent (or is owed) about a review, or one of its RFIs or
    assignments, for that page. Companies see only what went to their own
    people, agency users their own agency's: never another side's analysts."""
    qs = Reminder.objects.filter(review_id=review_id).select_related("rule", "recipient__membership__agency", "recipient__membership__company").order_by("-due_at", "id")
    if target_type:
        qs = qs.filter(target_type=target_type, target_id=target_id)
    if user.is_company_liaison:
        return qs.filter(recipient__membership__company_id=user.company_id)
    if user.is_agency_lead or user.is_agency_reviewer:
        return qs.filter(recipient__membership__agency_id=user.agency_id)
    return qs


def reminder_counts(*, since: datetime | None = None) -> dict[str, int]:
    """How many reminders fell due (rows are recorded only once due; ``since``:
    due from then on) and where each stands, in one query: due = sent + pending
    + missed + failed + moot. For operators and the fault benchmarks."""
    qs = Reminder.objects.all() if since is None else Reminder.objects.filter(due_at__gte=since)
    return qs.aggregate(
        due=Count("id"),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        pending=Count("id", filter=Q(sent_at__isnull=True, moot_at__isnull=True, failed_at__isnull=True, missed_at__isnull=True)),
        retrying=Count("id", filter=Q(sent_at__isnull=True, failed_at__isnull=True, missed_at__isnull=True, attempts__gt=0)),
        missed=Count("id", filter=Q(missed_at__isnull=False)),
        failed=Count("id", filter=Q(failed_at__isnull=False)),
        moot=Count("id", filter=Q(moot_at__isnull=False)),
    )
