"""Reviews (and their models) matching a search: the model's name, version and
capability summary (full text, and part of a name through pg_trgm), or the
review's number."""

from __future__ import annotations

from functools import partial

from django.db.models import Case, Q, Value, When
from django.db.models.functions import Concat, Left, Lower

from companies.models import AIModel
from reviews.models import Review

from .. import probe
from ..query import Parsed
from ..vectors import Vector
from .common import Filters, Hit, _dated, _excerpt, _found_ids, _headline, _mark, _postgres, _words, among_matches, exact_branch, exact_read, kept


def _scoped_reviews(user, filters: Filters):
    qs = Review.objects.visible_to(user)
    if filters.review_id:
        qs = qs.filter(pk=filters.review_id)
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.agency_id:
        qs = qs.filter(participations__agency_id=filters.agency_id)
    return _dated(qs, filters).order_by()


MODEL_MATCHES = 5000


def _matching_models(p: Parsed):
    return AIModel.objects.alias(v=Vector()).filter(v=p.tsquery()).order_by()


def _model_read() -> tuple[tuple, object]:
    return ("reviews.model_ids", MODEL_MATCHES), lambda p: _matching_models(p).values_list("pk", flat=True)[: MODEL_MATCHES + 1]


def _exact_names() -> tuple:
    """What a review's exact match compares with what was typed: its model's name, and its name and version."""
    return ("model__name", Concat("model__name", Value(" "), "model__version"))


def first_reads(parsed: Parsed) -> list[tuple[tuple, object]]:
    """The reviews' unscoped index reads (``common.read_first``): the model's
    exact name, and the models whose text matches."""
    return [exact_read("reviews.exact", Review, _exact_names()), _model_read()]


def _model_branch(user, parsed: Parsed, filters: Filters):
    """The reviews in scope of the models whose text matches. The models come
    first, unscoped, off their GIN index (at most MODEL_MATCHES), then the
    reviews of those models in scope (``among_matches``): asked as one scoped
    query, PostgreSQL walked the reach of a reviewer on 500 reviews to each
    review's model (2.5 ms at bench scale) for a word no model holds, where
    the index says so in 0.2 ms. No model, no second statement; past
    MODEL_MATCHES models, the scoped query with the match decides."""
    run = partial(kept, user=user, parsed=parsed, filters=filters)
    models = run("values", *_model_read())
    past = lambda n: run("values", ("reviews.model", n), lambda p: _scoped_reviews(user, filters).filter(  # noqa: E731
        model_id__in=_matching_models(p).values("pk")).values_list("pk", flat=True)[:n])
    return among_matches("reviews.model_among", lambda: _scoped_reviews(user, filters), models, past, most=MODEL_MATCHES,
                         user=user, parsed=parsed, filters=filters, path="model_id")


def _reviews(user, parsed: Parsed, filters: Filters, limit: int, reach: probe.Reach | None = None, offset: int = 0):
    run = partial(kept, user=user, parsed=parsed, filters=filters)
    # The model's name, or its name and version, as typed: ahead of whatever else matches.
    exact = exact_branch("reviews.exact", Review, lambda: _scoped_reviews(user, filters), _exact_names(), user=user, parsed=parsed, filters=filters)
    if _postgres():
        branches = [exact, _model_branch(user, parsed, filters)]
        if parsed.model_names:  # pg_trgm index: part of a name (the pattern built in SQL from the text, as documents._named)
            branches.append(
                lambda n: run("values", ("reviews.model_name", n), lambda p: _scoped_reviews(user, filters).filter(
                    model__name__icontains=Value(p.normalised)).values_list("pk", flat=True)[:n])
            )
        if parsed.number:
            branches.append(
                lambda n: run("values", ("reviews.number", n), lambda p: _scoped_reviews(user, filters).filter(pk=p.number).values_list("pk", flat=True)[:n])
            )
    else:
        qs = _scoped_reviews(user, filters)
        branches = [exact, qs.filter(_words(["model__name", "model__version", "model__capability_summary", "summary"], parsed.words)).values_list("pk", flat=True)]
        if parsed.number:
            branches.append(qs.filter(pk=parsed.number).values_list("pk", flat=True))
    ids, count = _found_ids(branches)
    if not ids:
        return 0, []

    def rows(p, *, ids):
        qs = Review.objects.filter(pk__any_of_unplanned=ids)
        qs = qs.alias(_lower=Lower(Concat("model__name", Value(" "), "model__version")), _name=Lower("model__name")).annotate(
            exact=Case(
                When(Q(_lower=p.normalised) | Q(_name=p.normalised) | Q(pk=p.number or 0), then=Value(1)),
                default=Value(0),
            )
        )
        if _postgres():
            qs = qs.annotate(
                snippet=_headline(Concat("model__name", Value(" "), "model__version", Value(": "), Left("model__capability_summary", 2000)), p)
            )
        return qs.select_related("model", "company").order_by("-exact", "-created_at", "-id")[offset:offset + limit]

    hits = []
    for review in run("rows", ("reviews.rows", limit, offset), rows, by_ids=True, ids=sorted(ids)):
        if _postgres():
            snippet = _mark(review.snippet)
        else:
            snippet = _excerpt(f"{review.model}: {review.model.capability_summary or review.summary}", parsed.words)
        hits.append(
            Hit("review", str(review), review.get_absolute_url(), review, snippet, review.created_at,
                detail=f"{review.company} · {review.get_status_display()}", pk=review.pk)
        )
    return count, hits
