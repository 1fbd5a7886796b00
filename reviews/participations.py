"""A counter that changes whenever a review's participating agencies change.

Pages that derive something from the agencies on the reviews a user sees
(the search page's agency filter) cache it under this number and the user's
exact set of reviews: a new number makes every such entry stale at once. It
lives in the cache (Redis); when the cache cannot be reached, callers compute
without it (``None``).
"""

from __future__ import annotations

import logging

from django.core.cache import cache

KEY = "reviews:participations:generation"
log = logging.getLogger(__name__)


def participations_generation() -> int | None:
    try:
        value = cache.get(KEY)
        if value is None:
            cache.add(KEY, 1, timeout=None)
            value = cache.get(KEY)
        return int(value) if value is not None else None
    except Exception:  # noqa: BLE001 — the cache being down costs speed, never the page
        log.warning("participations generation unavailable (cache down?)", exc_info=True)
        return None


def participations_generation_and(key: str) -> tuple[int | None, object]:
    """The generation and the value cached under ``key``, read in one round
    trip (a search page's filter options are checked against both on every
    visit); ``(None, None)`` when the cache cannot be reached."""
    try:
        found = cache.get_many([KEY, key])
    except Exception:  # noqa: BLE001 — the cache being down costs speed, never the page
        log.warning("participations generation unavailable (cache down?)", exc_info=True)
        return None, None
    if found.get(KEY) is None:  # never set, or evicted: set it; nothing cached under the old one counts
        return participations_generation(), None
    return int(found[KEY]), found.get(key)


def participations_changed() -> None:
    """Called after commit by the services that add or remove participating agencies."""
    try:
        try:
            cache.incr(KEY)
        except ValueError:  # not set yet (or evicted): any new value will do
            cache.set(KEY, 2, timeout=None)
    except Exception:  # noqa: BLE001
        # Cached entries stay keyed by the old number; they also expire on their own (search.selectors).
        log.warning("could not mark participations changed (cache down?)", exc_info=True)
