"""The fair clock: the window measures the agencies' time with working access.

While a blocking RFI waits on the company the review's clock is stopped
(one running ``ClockStop`` per review, however many blocking RFIs wait);
when the last one is answered or closed the clock resumes and the stopped
time is added to ``review.window_end``. Both moves are on the timeline.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..models import ClockStop, Review, ReviewStatus, ReviewTransition


def _duration_text(delta) -> str:
    days, rem = divmod(int(delta.total_seconds()), 86400)
    hours = rem // 3600
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours or not days:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    return " ".join(parts)


@transaction.atomic
def clock_stop(*, review_id: int, rfi, actor) -> ClockStop | None:
    """Stops the clock for ``rfi`` unless it is already stopped or the review is not in review.

    Side effect: a "clock_stop" timeline entry. Locks the review row.
    """
    review = Review.objects.select_for_update().get(pk=review_id)
    if review.status != ReviewStatus.IN_REVIEW:
        return None
    if ClockStop.objects.filter(review=review, resumed_at__isnull=True).exists():
        return None
    stop = ClockStop(review=review, rfi=rfi, stopped_at=timezone.now())
    stop.full_clean()
    stop.save()
    ReviewTransition.objects.create(
        review=review, name="clock_stop", source=review.status, target=review.status, actor=actor,
        comment=f"A blocking question is waiting on the company: {rfi.subject}", at=stop.stopped_at,
    )
    return stop


@transaction.atomic
def clock_resume(*, review_id: int, actor) -> ClockStop | None:
    """Resumes a stopped clock. The caller (the RFI services) decides that no
    blocking question waits any more, under the review's row lock.

    Side effects: ``review.window_end`` moves by the stopped time; a
    "clock_resume" timeline entry says how long it stood and the new end.
    """
    review = Review.objects.select_for_update().get(pk=review_id)
    stop = ClockStop.objects.select_for_update().filter(review=review, resumed_at__isnull=True).first()
    if stop is None:
        return None
    stop.resumed_at = timezone.now()
    stop.full_clean()
    stop.save(update_fields=["resumed_at"])
    stopped = stop.resumed_at - stop.stopped_at
    if review.window_end is not None and review.status == ReviewStatus.IN_REVIEW:
        review.window_end = review.window_end + stopped
        review.full_clean()
        review.save(update_fields=["window_end"])
    ReviewTransition.objects.create(
        review=review, name="clock_resume", source=review.status, target=review.status, actor=actor,
        comment=f"The clock stood for {_duration_text(stopped)}; that time was added to the window's end.",
        at=stop.resumed_at,
    )
    return stop
