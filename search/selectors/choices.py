"""The agencies, companies and markings the search page offers as filters."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection

from agencies.models import Agency
from companies.models import Company
from documents.models import HandlingMarking
from reviews.models import Review
from portal.scoping import user_may_see_anything
from portal.statements import cached_values
from reviews.participations import participations_generation_and

from .. import probe

CHOICES_TTL = 600  # seconds: a renamed agency or company shows under its new name within ten minutes
# A reader on at most this many reviews picks one from a list (newest first); on more, types its number.
REVIEW_CHOICES = 100


def filter_choices(*, user) -> dict:
    """The agencies, companies and markings a user may filter by: agencies
    taking part in reviews they see, companies they see, every marking —
    and the reviews they see, named, when they are at most REVIEW_CHOICES
    (otherwise, and for the program office, none: the page asks for a
    review's number).

    Deriving the first two from 20,000 reviews costs ~75 ms, on every search
    page; they are cached under the user and the fingerprint of their exact
    set of reviews (``probe.user_reach``: a grant, a revocation or an expiry
    is a different entry), and kept with the participations generation they
    were derived under (an agency added to or removed from a review: derived
    again).
    The program office's (every agency and company) are one entry for all
    its members. Without the cache (Redis down) they are computed."""
    markings = _markings()
    if not user_may_see_anything(user):
        return {"agencies": [], "companies": [], "reviews": [], "markings": markings}
    key, generation = None, None
    if user.is_program_admin:
        # Every agency and company (~2 ms for 500 of them on each search
        # page): one entry for the program office, under how many there
        # are and the newest, so one added or removed is a new entry.
        key = f"search:choices:office:{_catalogue_stamp()}"
        try:
            cached = cache.get(key)
        except Exception:  # noqa: BLE001 — the cache being down costs speed only
            cached, key = None, None
        if cached is not None:
            return {**cached, "markings": markings}
    elif (reach := probe.user_reach(user)) is not None:
        # The entry holds the participations generation it was derived under,
        # read with it in one round trip: a different number, derived again.
        key = f"search:choices:{user.pk}:{':'.join(map(str, reach.fingerprint))}"
        generation, cached = participations_generation_and(key)
        if generation is None:
            key = None
        elif isinstance(cached, dict) and cached.get("generation") == generation:
            return {**cached["choices"], "markings": markings}
    visible = Review.objects.visible_to(user)
    if user.is_program_admin:
        agencies = Agency.objects.all()
    else:
        agencies = Agency.objects.filter(participations__review__in=visible.values("pk")).distinct()
    choices = {
        "agencies": list(agencies.order_by("acronym").values_list("pk", "acronym")),
        "companies": list(Company.objects.visible_to(user).order_by("name").values_list("pk", "name")),
        # Not the office's: its entry is kept under the agencies and companies alone, so a new review would be missing.
        "reviews": [] if user.is_program_admin else _review_choices(visible),
    }
    if key is not None:
        try:
            cache.set(key, choices if generation is None else {"generation": generation, "choices": choices}, CHOICES_TTL)
        except Exception:  # noqa: BLE001
            pass
    return {**choices, "markings": markings}


def _review_choices(visible) -> list[tuple[int, str]]:
    """(id, name) of the reviews in ``visible``, named as everywhere else
    (``Review.__str__``: "Atlas-2 2.0 review #12"), newest first; none past
    REVIEW_CHOICES. Kept with the agencies and companies under the reader's
    exact set of reviews, so a review granted or revoked is a new entry; a
    model renamed shows within CHOICES_TTL."""
    reviews = list(visible.select_related("model").only("pk", "model__name", "model__version").order_by("-pk")[: REVIEW_CHOICES + 1])
    if len(reviews) > REVIEW_CHOICES:
        return []
    return [(review.pk, str(review)) for review in reviews]


def _markings() -> list[tuple[int, str]]:
    """Every handling marking, in order: read on every search page (a kept
    statement: compiling the queryset cost ~0.2 ms of each, more than reading it)."""
    return cached_values(
        ("search.choices.markings",), lambda: HandlingMarking.objects.order_by("ordering", "name").values_list("pk", "name")
    )


def _catalogue_stamp() -> str:
    """How many agencies and companies there are and their newest ids, in one statement."""
    agencies, companies = Agency._meta.db_table, Company._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT (SELECT count(*) FROM "{agencies}"), (SELECT coalesce(max(id), 0) FROM "{agencies}"), '  # noqa: S608 — table names from the models
            f'(SELECT count(*) FROM "{companies}"), (SELECT coalesce(max(id), 0) FROM "{companies}")'
        )
        return ":".join(map(str, cursor.fetchone()))


def review_named(*, user, pk: int | None) -> Review | None:
    """The review a search is narrowed to, with its model, to name it on the
    page — None unless ``user`` sees it: an id typed outside their scope is
    named nowhere (that search finds nothing anyway)."""
    if not pk:
        return None
    return Review.objects.visible_to(user).select_related("model").filter(pk=pk).first()
