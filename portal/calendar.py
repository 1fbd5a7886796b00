"""Dates the portal computes deadlines with: calendar days at the same local
hour, and US federal business days, in the portal's time zone
(``settings.TIME_ZONE``, from ``PORTAL_TIME_ZONE``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings


def portal_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def add_calendar_days(moment: datetime, days: int) -> datetime:
    """``moment`` plus ``days`` calendar days at the same wall-clock time in the
    portal's zone, so a window opened at 10:00 ends at 10:00 even when daylight
    saving time starts or ends in between. Returned in UTC."""
    local = moment.astimezone(portal_tz())
    return (local + timedelta(days=days)).astimezone(dt_timezone.utc)


@lru_cache(maxsize=16)
def _federal_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("US", years=year).keys())


def is_business_day(day: date) -> bool:
    """A weekday that is not a US federal holiday."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def add_business_days(moment: datetime, days: int) -> datetime:
    """``moment`` moved by ``days`` business days (negative: back), keeping the
    local hour; weekends and US federal holidays are skipped."""
    local = moment.astimezone(portal_tz())
    step = 1 if days > 0 else -1
    remaining = abs(days)
    cursor = local
    while remaining:
        cursor = cursor + timedelta(days=step)
        if is_business_day(cursor.date()):
            remaining -= 1
    return cursor.astimezone(moment.tzinfo)
