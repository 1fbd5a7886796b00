"""Reads of companies and their models, scoped through ``visible_to(user)``."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from portal.scoping import reader_key
from portal.statements import cached_rows

from .models import AIModel

# The order of a user's models on the model list and on a liaison's dashboard
# (its first few, "the rest are a page away"): one order for both.
MODEL_ORDER = ("name", "version", "id")


def model_list_first(*, user, limit: int) -> list[AIModel]:
    """The first ``limit`` models ``user`` sees, by name and version (a
    liaison's dashboard shows its company's first few). Through a statement
    kept per reader (``portal.statements``): built and compiled on every
    dashboard, it was ~0.4 ms of the liaison's ~10 ms of CPU; ``now`` is the
    moment the scope judges grants at, for readers whose models come through
    their reviews."""
    return cached_rows(*_model_list_first(user, limit), now=timezone.now())


def model_list_first_ahead(*, user, limit: int, ahead) -> Callable[[], list[AIModel]]:
    """``model_list_first`` sent ahead on ``ahead`` (``portal.statements.Ahead``): a function reading it back."""
    return ahead.rows(*_model_list_first(user, limit), now=timezone.now())


def _model_list_first(user, limit: int) -> tuple:
    return (
        ("companies.model_list_first", limit, reader_key(user)),
        lambda *, now: AIModel.objects.visible_to(user).order_by(*MODEL_ORDER)[:limit],
    )
