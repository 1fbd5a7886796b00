"""Questions (with their threads) and findings matching a search, each through
the model's ``visible_to(user)`` and the terms gate (``material_of``)."""

from __future__ import annotations

import html

from django.contrib.postgres.search import SearchRank, SearchVectorExact
from django.db.models import F, FloatField, Value
from django.db.models.functions import Concat, Left
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from findings.models import Finding
from reviews.selectors import material_of
from rfis.models import InformationRequest, RfiMessage

from .. import probe
from ..query import Parsed
from ..vectors import Vector
from .common import (
    Filters,
    Hit,
    _branch,
    _by_ids,
    _dated,
    _exact_first,
    _excerpt,
    _found_ids,
    _headline,
    _in_review,
    _mark,
    _matching,
    _postgres,
    _words,
)


def _scoped_material(model, user, filters: Filters, among=None):
    """Questions or findings ``user`` sees (``among``: on those reviews only),
    past the terms gate, within the filters; unordered."""
    qs = material_of(model.objects.visible_to(user, among=among), user=user)
    qs = _dated(_in_review(qs, filters), filters)
    if filters.agency_id:
        qs = qs.filter(agency_id=filters.agency_id)
    return qs.order_by()


def _rfis(user, parsed: Parsed, filters: Filters, limit: int, reach: probe.Reach | None = None):
    scoped = lambda: _scoped_material(InformationRequest, user, filters)  # noqa: E731 — built only if asked
    if _postgres():
        tsquery = parsed.tsquery()
        own = _matching(InformationRequest.objects.order_by(), parsed)
        thread = _matching(RfiMessage.objects.order_by(), parsed)
        confirm = lambda ids, among: (  # noqa: E731
            _scoped_material(InformationRequest, user, filters, among).filter(pk__any_of=ids).values_list("pk", flat=True)
        )
        ids, count = _found_ids([
            _branch(lambda: scoped().filter(pk__in=own.values("pk")).values_list("pk", flat=True), reach,
                    own.values_list("pk", "review_id"), confirm, user=user),
            _branch(lambda: scoped().filter(pk__in=thread.values("rfi_id")).values_list("pk", flat=True), reach,
                    thread.values_list("rfi_id", "rfi__review_id"), confirm, user=user, review_path="rfi__review_id"),
        ])
        rows = _by_ids(InformationRequest, ids).annotate(
            own_hit=SearchVectorExact(Vector(), tsquery),
            rank=SearchRank(Vector(), tsquery),
            snippet=_headline(Concat("subject", Value(". "), Left("question", 20000)), parsed),
        )
    else:
        ids, count = _found_ids([scoped().filter(_words(["subject", "question", "messages__body"], parsed.words)).values_list("pk", flat=True)])
        rows = _by_ids(InformationRequest, ids).annotate(own_hit=Value(True), rank=Value(0.0, output_field=FloatField()))
    if not ids:
        return 0, []
    rows = _exact_first(rows, F("subject"), parsed)
    rows = list(rows.select_related("review__model", "review__company").order_by("-exact", "-rank", "-created_at", "-id")[:limit])
    answers = _thread_snippets(parsed, [r.pk for r in rows if not r.own_hit])
    hits = []
    for rfi in rows:
        if rfi.pk in answers:
            snippet = answers[rfi.pk]
        elif _postgres():
            snippet = _mark(rfi.snippet)
        else:
            snippet = _excerpt(f"{rfi.subject}. {rfi.question}", parsed.words)
        hits.append(
            Hit("rfi", f"RFI #{rfi.pk}: {rfi.subject}", reverse("rfi_detail", kwargs={"pk": rfi.pk}), rfi.review, snippet,
                rfi.created_at, detail=f"{rfi.get_status_display()}{' · agency-private' if rfi.private else ''}")
        )
    return count, hits


def _thread_snippets(parsed: Parsed, rfi_ids: list[int]) -> dict[int, SafeString]:
    """Questions found by their thread: the newest matching message, highlighted
    (every message of a question is shown to whoever sees the question)."""
    if not rfi_ids:
        return {}
    messages = RfiMessage.objects.filter(rfi_id__in=rfi_ids)
    if _postgres():
        messages = messages.alias(v=Vector()).filter(v=parsed.tsquery()).annotate(snippet=_headline(Left("body", 20000), parsed))
    else:
        messages = messages.filter(_words(["body"], parsed.words)).annotate(snippet=F("body"))
    found: dict[int, SafeString] = {}
    for rfi_id, kind, snippet in messages.order_by("rfi_id", "-created_at", "-id").values_list("rfi_id", "kind", "snippet"):
        if rfi_id not in found:
            label = html.escape(RfiMessage.Kind(kind).label)
            body = _mark(snippet) if _postgres() else _excerpt(snippet, parsed.words)
            found[rfi_id] = mark_safe(f"{label}: {body}")  # noqa: S308 — both parts escaped
    return found


# -- findings -------------------------------------------------------------------------------------


def _findings(user, parsed: Parsed, filters: Filters, limit: int, reach: probe.Reach | None = None):
    scoped = lambda: _scoped_material(Finding, user, filters)  # noqa: E731 — built only if asked
    if _postgres():
        tsquery = parsed.tsquery()
        ids, count = _found_ids([_branch(
            lambda: _matching(scoped(), parsed).values_list("pk", flat=True), reach,
            _matching(Finding.objects.order_by(), parsed).values_list("pk", "review_id"),
            lambda ids, among: _scoped_material(Finding, user, filters, among).filter(pk__any_of=ids).values_list("pk", flat=True),
            user=user,
        )])
        rows = _by_ids(Finding, ids).annotate(
            rank=SearchRank(Vector(), tsquery),
            snippet=_headline(Concat("title", Value(". "), Left("description", 20000)), parsed),
        )
    else:
        ids, count = _found_ids([scoped().filter(_words(["title", "description"], parsed.words)).values_list("pk", flat=True)])
        rows = _by_ids(Finding, ids).annotate(rank=Value(0.0, output_field=FloatField()))
    if not ids:
        return 0, []
    rows = _exact_first(rows, F("title"), parsed)
    rows = rows.select_related("review__model", "review__company").order_by("-exact", "-rank", "-created_at", "-id")[:limit]
    hits = []
    for finding in rows:
        snippet = _mark(finding.snippet) if _postgres() else _excerpt(f"{finding.title}. {finding.description}", parsed.words)
        hits.append(
            Hit("finding", finding.title, reverse("finding_detail", kwargs={"pk": finding.pk}), finding.review, snippet,
                finding.created_at, detail=f"{finding.get_severity_display()} · {finding.get_status_display()}")
        )
    return count, hits
