"""Reviews (and their models) matching a search: the model's name, version and
capability summary (full text, and part of a name through pg_trgm), or the
review's number."""

from __future__ import annotations

from django.db.models import Case, Q, Value, When
from django.db.models.functions import Concat, Left, Lower

from companies.models import AIModel
from reviews.models import Review

from .. import probe
from ..query import Parsed
from ..vectors import Vector
from .common import Filters, Hit, _by_ids, _dated, _excerpt, _found_ids, _headline, _mark, _normalised, _postgres, _words


def _reviews(user, parsed: Parsed, filters: Filters, limit: int, reach: probe.Reach | None = None):
    qs = Review.objects.visible_to(user)
    if filters.review_id:
        qs = qs.filter(pk=filters.review_id)
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.agency_id:
        qs = qs.filter(participations__agency_id=filters.agency_id)
    qs = _dated(qs, filters).order_by()
    if _postgres():
        models = AIModel.objects.alias(v=Vector()).filter(v=parsed.tsquery()).order_by().values("pk")
        branches = [qs.filter(model_id__in=models)]
        if len(parsed.exact) >= 3 and not parsed.prefix:
            branches.append(qs.filter(model__name__icontains=_normalised(parsed)))  # pg_trgm index: part of a name
    else:
        branches = [qs.filter(_words(["model__name", "model__version", "model__capability_summary", "summary"], parsed.words))]
    if parsed.review_id:
        branches.append(qs.filter(pk=parsed.review_id))
    ids, count = _found_ids([b.values_list("pk", flat=True) for b in branches])
    if not ids:
        return 0, []
    qs = _by_ids(Review, ids)
    rows = qs.alias(_lower=Lower(Concat("model__name", Value(" "), "model__version")), _name=Lower("model__name")).annotate(
        exact=Case(
            When(Q(_lower=_normalised(parsed)) | Q(_name=_normalised(parsed)) | Q(pk=parsed.review_id or 0), then=Value(1)),
            default=Value(0),
        )
    )
    if _postgres():
        rows = rows.annotate(
            snippet=_headline(Concat("model__name", Value(" "), "model__version", Value(": "), Left("model__capability_summary", 2000)), parsed)
        )
    rows = rows.select_related("model", "company").order_by("-exact", "-created_at", "-id")[:limit]
    hits = []
    for review in rows:
        if _postgres():
            snippet = _mark(review.snippet)
        else:
            snippet = _excerpt(f"{review.model}: {review.model.capability_summary or review.summary}", parsed.words)
        hits.append(
            Hit("review", str(review), review.get_absolute_url(), review, snippet, review.created_at,
                detail=f"{review.company} · {review.get_status_display()}")
        )
    return count, hits
