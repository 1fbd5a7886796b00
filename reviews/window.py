"""Where a review's window stands: days elapsed (on the clock), days the
clock stood, days remaining, and days past the end.

The window runs from ``window_start`` to ``window_end``; a resumed clock stop
already moved ``window_end`` by the time it stood (``services.clock``), and a
running one will, so while it runs the end seen by the agencies is
``window_end`` plus the time it has stood so far. Hence, for any moment:
``elapsed + stopped + remaining = the window's length as it stands now``.
The review page's window bar and the program office's burn-down chart both
read these numbers, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

DAY = 86400.0


def _days(delta: timedelta) -> float:
    return round(max(delta.total_seconds(), 0.0) / DAY, 1)


@dataclass(frozen=True)
class WindowSpans:
    """One review's window in days (one decimal), as of ``now``."""

    review_id: int
    elapsed: float  # time on the clock since the window opened
    stopped: float  # time the clock stood (resumed stops and the running one)
    remaining: float  # time left on the clock (0 once past the end)
    overdue: float  # time since the end, while the review is still in review
    running_since: datetime | None  # the running stop's start, if the clock stands now
    end: datetime  # the end as it stands now (a running stop's time included)

    @property
    def total(self) -> float:
        return round(self.elapsed + self.stopped + self.remaining + self.overdue, 1)

    @property
    def clock_stopped(self) -> bool:
        return self.running_since is not None


def window_spans(*, review_id: int, window_start: datetime, window_end: datetime, stops, now: datetime | None = None) -> WindowSpans:
    """The spans of one window; ``stops`` are its ``ClockStop`` rows (or
    ``(stopped_at, resumed_at)`` pairs), any order."""
    now = now or timezone.now()
    stopped = timedelta(0)
    running_since = None
    for stop in stops:
        started, resumed = (stop.stopped_at, stop.resumed_at) if hasattr(stop, "stopped_at") else stop
        if started > now:
            continue
        if resumed is None or resumed > now:
            running_since = started
            stopped += now - started
        else:
            stopped += resumed - started
    # A running stop holds the end back by the time it has stood so far.
    end = window_end + (now - running_since if running_since else timedelta(0))
    clock_now = min(now, end)
    elapsed = clock_now - window_start - stopped
    remaining = end - now if now < end else timedelta(0)
    overdue = now - end if now > end else timedelta(0)
    return WindowSpans(
        review_id=review_id,
        elapsed=_days(elapsed),
        stopped=_days(stopped),
        remaining=_days(remaining),
        overdue=_days(overdue),
        running_since=running_since,
        end=end,
    )


def review_window_spans(review, *, now: datetime | None = None) -> WindowSpans | None:
    """The spans of one review whose window has opened (None before), reading its
    clock stops in one statement (kept compiled: ``portal.statements``)."""
    if not (review.window_start and review.window_end):
        return None
    from portal.statements import cached_values

    from .models import ClockStop

    stops = cached_values(
        ("reviews.window.review_window_spans",),
        lambda *, review_id: ClockStop.objects.filter(review_id=review_id).values_list("stopped_at", "resumed_at"),
        review_id=review.pk,
    )
    return window_spans(
        review_id=review.pk, window_start=review.window_start, window_end=review.window_end, stops=list(stops), now=now
    )
