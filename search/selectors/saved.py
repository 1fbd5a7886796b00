"""A reader's saved searches, described for their list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

from ..models import SavedSearch
from .choices import filter_choices
from .common import KINDS


@dataclass
class SavedRow:
    saved: SavedSearch
    filters: list[str]  # each set filter in words ("Documents only", "Agency: CISA", "From 1 December 2026")

    @property
    def url(self) -> str:
        return saved_search_url(self.saved)


def saved_search_url(saved: SavedSearch, **extra: str) -> str:
    """The search page's address of a saved search (``extra`` fields replacing its own)."""
    data = QueryDict(saved.params, mutable=True)
    for name, value in extra.items():
        data[name] = value
    return f"{reverse('search')}?{urlencode({'q': saved.text})}" + (f"&{data.urlencode()}" if data else "")


def saved_searches_of(*, user):
    """``user``'s own saved searches, newest first (nobody sees another's)."""
    return SavedSearch.objects.filter(owner=user).order_by("-created_at", "-id")


def saved_search_list(*, user) -> list[SavedRow]:
    """``user``'s own saved searches, newest first, each with its filters in
    words: agencies, companies, markings and reviews by the names the search
    page offers the user (``filter_choices``), else by number — a saved id
    names nothing the user may no longer see."""
    saved = list(saved_searches_of(user=user))
    if not saved:
        return []
    choices = filter_choices(user=user)
    names = {field: dict(choices[key]) for field, key in (("agency", "agencies"), ("company", "companies"), ("marking", "markings"), ("review", "reviews"))}
    return [SavedRow(row, _described(row.params, names)) for row in saved]


def _described(params: str, names: dict[str, dict[int, str]]) -> list[str]:
    words = []
    for field, value in QueryDict(params).items():
        if field == "type":
            words.append(f"{KINDS.get(value, value)} only")
        elif field in ("date_from", "date_to"):
            try:
                day = f"{date.fromisoformat(value):%-d %B %Y}"
            except ValueError:
                day = value
            words.append(f"{'From' if field == 'date_from' else 'To'} {day}")
        elif field in names:
            label = {"agency": "Agency", "company": "Company", "marking": "Marking", "review": "Review"}[field]
            named = names[field].get(int(value)) if value.isdigit() else None
            words.append(f"{label}: {named}" if named else f"{label} #{value}")
    return words
