"""Search over what the user may see: reviews (and their models), documents
(title, file name, and the text of the versions the user may read),
questions with their thread, and findings.

Scoped by construction: every result set starts from the model's
``visible_to(user)`` (the reach index), material from
``reviews.selectors.material_of`` / ``documents_of`` (the terms gate and the
agency's certificate of return), a version's text from
``DocumentVersion.objects.readable_by(user)`` (the scan and marking rules of
fetching it). Counts and snippets come from the same scoped sets. On
PostgreSQL matching is full-text (stored ``tsvector`` columns, GIN indexes,
English configuration; ``word*`` prefixes, ``"phrases"``; pg_trgm for names
and file names); on SQLite it is a case-insensitive match of every word.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache as once, lru_cache

from django.contrib.postgres.search import SearchHeadline, SearchRank, SearchVectorExact
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, Q, Value, When
from django.db.models.functions import Concat, Left, Lower
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from agencies.models import Agency
from companies.models import AIModel, Company
from documents.models import Document, DocumentText, DocumentVersion, HandlingMarking
from findings.models import Finding
from reviews.models import Review
from reviews.participations import participations_generation
from reviews.querysets import CsvIds, reach_of
from reviews.selectors import documents_of, material_of
from rfis.models import InformationRequest, RfiMessage

from . import probe
from .query import LiteralQuery, Parsed, parse, tsquery_text
from .vectors import Pairs, Vector

KINDS = {"review": "Reviews", "document": "Documents", "rfi": "Questions", "finding": "Findings"}
CAP = 100  # counts above this show as "100+" (each kind's search stops there)
# ts_headline reads the text it highlights; a document's snippet comes from its first part.
HEADLINE_CHARS = 60_000
_OPEN, _CLOSE = "\u27e6", "\u27e7"  # highlight markers, turned into <mark> after escaping
HEADLINE_OPTIONS = {"start_sel": _OPEN, "stop_sel": _CLOSE, "max_words": 30, "min_words": 12, "max_fragments": 2, "fragment_delimiter": " … "}


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()  # empty: every kind
    review_id: int | None = None
    agency_id: int | None = None
    company_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    marking_id: int | None = None

    def wants(self, kind: str) -> bool:
        if self.marking_id and kind != "document":
            return False  # a handling marking is a document's
        return not self.kinds or kind in self.kinds


@dataclass
class Hit:
    kind: str
    title: str
    url: str
    review: Review
    snippet: SafeString
    at: datetime
    detail: str = ""


@dataclass
class Section:
    kind: str
    label: str
    count: int
    hits: list[Hit] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return self.count > CAP

    @property
    def shown_count(self) -> str:
        return f"{CAP}+" if self.capped else str(self.count)


@dataclass
class Results:
    query: Parsed
    sections: list[Section]

    @property
    def total(self) -> int:
        return sum(min(s.count, CAP) for s in self.sections)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def search(*, user, text: str, filters: Filters = Filters(), limit: int = 10) -> Results:
    """Results per kind (the first ``limit`` of each, best first) and their counts."""
    parsed = parse(text)
    sections = []
    if not parsed.empty:
        reach = probe.reach_for_matches(user, cap=CAP)
        for kind, run in (("review", _reviews), ("document", _documents), ("rfi", _rfis), ("finding", _findings)):
            if filters.wants(kind):
                count, hits = run(user, parsed, filters, limit, reach)
                sections.append(Section(kind, KINDS[kind], count, hits))
    return Results(parsed, sections)


# -- shared helpers ------------------------------------------------------------


def _dated(qs, filters: Filters, path: str = "created_at"):
    if filters.date_from:
        qs = qs.filter(**{f"{path}__date__gte": filters.date_from})
    if filters.date_to:
        qs = qs.filter(**{f"{path}__date__lte": filters.date_to})
    return qs


def _in_review(qs, filters: Filters, path: str = "review"):
    if filters.review_id:
        qs = qs.filter(**{f"{path}_id": filters.review_id})
    if filters.company_id:
        qs = qs.filter(**{f"{path}__company_id": filters.company_id})
    return qs


def _words(fields: list[str], words: list[str]) -> Q:
    """SQLite: every word in one of ``fields``."""
    condition = Q()
    for word in words:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def _mark(headline: str | None) -> SafeString:
    """A headline from PostgreSQL with its markers: escaped, markers to <mark>."""
    text = html.escape(" ".join((headline or "").split()))
    return mark_safe(text.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))  # noqa: S308 — escaped above


def _excerpt(text: str, words: list[str], width: int = 220) -> SafeString:
    """SQLite: an excerpt around the first word found, every word marked."""
    text = " ".join((text or "").split())
    lower = text.lower()
    found = [lower.find(w) for w in words if lower.find(w) >= 0]
    start = max(0, min(found) - width // 3) if found else 0
    piece = text[start : start + width]
    out = html.escape(piece)
    alternatives = "|".join(re.escape(html.escape(w)) for w in sorted(set(words), key=len, reverse=True) if w)
    if alternatives:  # one pass, so a mark is never marked again
        out = re.sub(f"({alternatives})", r"<mark>\1</mark>", out, flags=re.IGNORECASE)
    return mark_safe(("… " if start else "") + out + (" …" if start + width < len(text) else ""))  # noqa: S308


@lru_cache(maxsize=512)
def _phrase_pairs(phrases: tuple[str, ...]) -> str | None:
    """The adjacent-word pairs of the phrases, as tsquery text (``search_pairs``
    of each phrase's own vector, so stemming and stop words agree with the
    rows'); None when no phrase has two adjacent words."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT unnest(tsvector_to_array(search_pairs(to_tsvector('english'::regconfig, p)))) "
            "FROM unnest(%s::text[]) AS p",
            [list(phrases)],
        )
        pairs = sorted(row[0] for row in cursor.fetchall())
    return tsquery_text(pairs) if pairs else None


def _pairs(parsed: Parsed) -> LiteralQuery | None:
    """What a row's ``search_pairs`` must match for the query's phrases to be
    in it (a necessary condition, checked from a GIN index; the phrase itself
    is then matched by the vector), or None: no required phrase."""
    if not _postgres() or not parsed.required_phrases:
        return None
    text = _phrase_pairs(parsed.required_phrases)
    return LiteralQuery(text) if text else None


def _matching(qs, parsed: Parsed, vector=None, pairs_path: str | None = None):
    """Rows of ``qs`` whose vector (``vector``: the table's own by default)
    matches; when the query has a phrase, their pairs (``pairs_path``, or the
    table's own column) first. The vector is then asked as a function, which
    no index answers: the planner would otherwise also read the vector index
    for every row holding the phrase's words (77,000 of 300,000 texts for
    "red team") to intersect the pairs' few hundred with."""
    vector = vector if vector is not None else Vector()
    pairs = _pairs(parsed)
    if not pairs:
        return qs.alias(_v=vector).filter(_v=parsed.tsquery())
    qs = qs.filter(**{pairs_path: pairs}) if pairs_path else qs.alias(_p=Pairs()).filter(_p=pairs)
    matches = Func(vector, parsed.tsquery(), function="ts_match_vq", output_field=BooleanField())
    return qs.alias(_m=matches).filter(_m=True)


def _headline(expression, parsed: Parsed):
    return SearchHeadline(expression, parsed.tsquery(), config="english", **HEADLINE_OPTIONS)


def _exact_first(qs, expression, parsed: Parsed):
    return qs.alias(_lower=Lower(expression)).annotate(
        exact=Case(When(_lower=_normalised(parsed), then=Value(1)), default=Value(0))
    )


def _normalised(parsed: Parsed) -> str:
    """What was typed without quotes or stars, lower-cased: compared with a title."""
    return " ".join(parsed.raw.replace('"', " ").replace("*", " ").split()).lower()


# -- reviews (and their models) -----------------------------------------------------


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


# -- documents ------------------------------------------------------------------------


def _readable_text_versions(user, parsed: Parsed, among=None):
    """Versions of documents ``user`` sees (``among``: on those reviews) whose
    text matches and which they may read."""
    # Text exists only once a version's scan passed; pending and quarantined
    # versions are left out for everyone, whatever readable_by allows.
    versions = DocumentVersion.objects.visible_to(user, among=among).readable_by(user).filter(scan_status__in=["clean", "not_scanned"])
    if _postgres():
        return _matching(versions.filter(text__status="extracted"), parsed, F("text__search_vector"), "text__search_pairs")
    return versions.filter(text__status="extracted").filter(_words(["text__text"], parsed.words))


def _scoped_documents(qs, user, filters: Filters, path: str = ""):
    """``qs`` (documents, or versions with ``path`` "document__") within the
    user's scope, past the terms and certificate gate, and the filters."""
    review = f"{path}review"
    qs = documents_of(qs, user=user, review_path=review)
    qs = _dated(_in_review(qs, filters, path=review), filters, path=f"{path}created_at")
    if filters.agency_id:
        qs = qs.filter(**{f"{review}__participations__agency_id": filters.agency_id})
    if filters.marking_id:
        qs = qs.filter(**{f"{path}marking_id": filters.marking_id})
    return qs.order_by()


def document_branches(user, parsed: Parsed, filters: Filters = Filters(), reach: probe.Reach | None = None) -> list:
    """The documents ``user`` may see that match ``parsed``, one branch of
    document ids per way of matching (PostgreSQL): the title (GIN) and the
    file name (pg_trgm), read unscoped and then scoped (``_matches_first``);
    the text of a version the user may read, walked from its candidates and
    confirmed (``_branch``, search/probe.py). Each is asked with a limit."""
    # The scoped querysets are built only when asked (building and compiling
    # them is most of a search's Python time, and a walk that finds its ids
    # never asks for the fallback).
    scoped = once(lambda: _scoped_documents(Document.objects.visible_to(user), user, filters))

    def texts_among(among=None):
        texts = _scoped_documents(_readable_text_versions(user, parsed, among), user, filters, path="document__")
        return texts.filter(document__purpose="review")

    if not _postgres():
        return [scoped().filter(_words(["title", "versions__original_name"], parsed.words)).values_list("pk", flat=True),
                texts_among().values_list("document_id", flat=True)]
    matching_texts = _matching(DocumentText.objects.filter(status="extracted").order_by(), parsed, F("search_vector"), "search_pairs")
    branches = [
        _title_branch(scoped, parsed),
        _branch(
            lambda: texts_among().values_list("document_id", flat=True), reach,
            matching_texts.values_list("version_id", "review_id"),
            lambda ids, among: texts_among(among).filter(pk__any_of=ids).values_list("document_id", flat=True),
            user=user,
        ),
    ]
    name = _normalised(parsed)
    if len(name) >= 3 and not parsed.prefix:
        names = DocumentVersion.objects.filter(original_name__icontains=name).order_by().values_list("document_id", flat=True)
        branches.append(_matches_first(scoped, names))
    return branches


TITLE_MATCHES = 5000


def _title_branch(scoped, parsed: Parsed):
    """Titles are short and few match a query: their ids come off the GIN index
    first (unscoped, at most TITLE_MATCHES), then the scope is applied to them
    — the planner misjudges how many titles a prefix matches and would walk
    the user's documents instead. Past that many, the scoped query decides."""
    matches = Document.objects.alias(v=Vector()).filter(v=parsed.tsquery()).order_by()
    return _matches_first(scoped, matches.values_list("pk", flat=True))


def _matches_first(scoped, matches):
    """``scoped()`` documents among ``matches`` (document ids off an index: the
    title's GIN or the file name's pg_trgm), read unscoped first (at most
    TITLE_MATCHES) so the planner cannot walk the user's documents instead."""
    ids = list(matches[: TITLE_MATCHES + 1])
    if not ids:
        return []  # nothing to scope: no statement
    if len(ids) > TITLE_MATCHES:
        return scoped().filter(pk__in=matches).values_list("pk", flat=True)
    return scoped().filter(pk__any_of=CsvIds(",".join(map(str, set(ids))), len(set(ids)))).values_list("pk", flat=True)


@dataclass(frozen=True)
class Walk:
    """A branch walked from its matches (search/probe.py): ``candidates`` are
    (id, review id) rows of every match, ``confirm(ids)`` the scoped ids among
    them, ``scoped()`` the same branch as a scoped query (the fallback, built
    only if the walk gives up)."""

    candidates: object
    confirm: object
    scoped: object
    reach: probe.Reach


def _branch(scoped, reach: probe.Reach | None, candidates, confirm, *, user, review_path: str = "review_id"):
    """A branch walked from its candidates (PostgreSQL): every match when
    ``reach`` says to walk the matches; otherwise (a user who sees few
    reviews) the matches on the user's reviews, read by review. Either way
    ``confirm`` applies the scoped query to them. Elsewhere: ``scoped()``."""
    if not _postgres():
        return scoped()
    if reach is None:
        if not user.is_program_admin:  # the program office has no reach rows: it sees every review
            candidates = candidates.filter(**{f"{review_path}__in": reach_of(user).values("review_id")})
        reach = probe.Reach(None, 2 * (CAP + 1))
    return Walk(candidates, confirm, scoped, reach)


def _found_ids(branches) -> tuple[set[int], int]:
    """The ids the branches find (at most CAP + 1 rows each, unordered and not
    made distinct, so the database stops early) and their count, capped."""
    ids: set[int] = set()
    capped = False
    for branch in branches:
        found = None
        if isinstance(branch, Walk):
            found = probe.walk(branch.candidates, branch.confirm, branch.reach, cap=CAP)
            branch = branch.scoped() if found is None else None
        if found is None:
            found = list(branch[: CAP + 1])
        capped = capped or len(found) > CAP
        ids.update(found)
    return ids, CAP + 1 if capped else len(ids)


def _by_ids(model, ids: set[int]):
    """Rows of ``model`` with these ids (found within scope a moment ago)."""
    if _postgres():
        return model.objects.filter(pk__any_of=CsvIds(",".join(map(str, ids)), len(ids)))
    return model.objects.filter(pk__in=ids)


def _documents(user, parsed: Parsed, filters: Filters, limit: int, reach: probe.Reach | None = None):
    ids, count = _found_ids(document_branches(user, parsed, filters, reach))
    if not ids:
        return 0, []
    rows = _by_ids(Document, ids)
    if _postgres():
        rows = rows.annotate(title_hit=SearchVectorExact(Vector(), parsed.tsquery()))
    else:
        rows = rows.annotate(title_hit=Case(When(_words(["title"], parsed.words), then=Value(True)), default=Value(False), output_field=BooleanField()))
    rows = _exact_first(rows, F("title"), parsed)
    rows = list(rows.select_related("review__model", "review__company", "marking").order_by("-exact", "-title_hit", "-created_at", "-id")[:limit])
    snippets = _document_snippets(user, parsed, [d for d in rows if not d.title_hit])
    hits = []
    for doc in rows:
        if doc.pk in snippets:
            number, snippet = snippets[doc.pk]
            detail = f"{doc.get_kind_display()} · text of version {number}"
        else:
            snippet = _title_mark(doc.title, parsed)
            detail = doc.get_kind_display()
        hits.append(
            Hit("document", doc.title, reverse("document_detail", kwargs={"pk": doc.pk}), doc.review, snippet, doc.created_at,
                detail=f"{detail} · {doc.marking.short_label or doc.marking}")
        )
    return count, hits


def _title_mark(title: str, parsed: Parsed) -> SafeString:
    """A title matched by its words or file name: the typed words marked in it."""
    return _excerpt(title, [w for w in parsed.words if len(w) > 1])


def _document_snippets(user, parsed: Parsed, documents: list[Document]) -> dict[int, tuple[int, SafeString]]:
    """For documents found by their text: (version number, highlighted snippet)
    from the newest matching version the user may read."""
    if not documents:
        return {}
    among = {d.review_id for d in documents}
    versions = _readable_text_versions(user, parsed, among).filter(document_id__in=[d.pk for d in documents])
    if _postgres():
        versions = versions.annotate(snippet=_headline(Left("text__text", HEADLINE_CHARS), parsed))
    else:
        versions = versions.annotate(snippet=F("text__text"))
    found: dict[int, tuple[int, SafeString]] = {}
    for document_id, number, snippet in versions.order_by("document_id", "-number").values_list("document_id", "number", "snippet"):
        if document_id not in found:
            found[document_id] = (number, _mark(snippet) if _postgres() else _excerpt(snippet, parsed.words))
    return found


# -- questions (RFIs) and their threads ----------------------------------------------------


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


# -- filter choices, within scope ------------------------------------------------------------------


CHOICES_TTL = 600  # seconds: a renamed agency or company shows under its new name within ten minutes


def filter_choices(*, user) -> dict:
    """The agencies, companies and markings a user may filter by: agencies
    taking part in reviews they see, companies they see, every marking.

    Deriving the first two from 20,000 reviews costs ~75 ms, on every search
    page; they are cached under the user, their exact set of reviews (so a
    grant, a revocation or an expiry is a different entry) and the
    participations generation (an agency added to or removed from a review).
    Without the cache (Redis down) they are computed."""
    markings = list(HandlingMarking.objects.order_by("ordering", "name").values_list("pk", "name"))
    reach = probe.user_reach(user)
    generation = participations_generation() if reach is not None else None
    key = None
    if generation is not None:
        key = f"search:choices:{user.pk}:{len(reach.review_ids)}:{hash(reach.review_ids)}:{generation}"
        try:
            cached = cache.get(key)
        except Exception:  # noqa: BLE001 — the cache being down costs speed only
            cached, key = None, None
        if cached is not None:
            return {**cached, "markings": markings}
    visible = Review.objects.visible_to(user)
    if user.is_program_admin:
        agencies = Agency.objects.all()
    else:
        agencies = Agency.objects.filter(participations__review__in=visible.values("pk")).distinct()
    choices = {
        "agencies": list(agencies.order_by("acronym").values_list("pk", "acronym")),
        "companies": list(Company.objects.visible_to(user).order_by("name").values_list("pk", "name")),
    }
    if key is not None:
        try:
            cache.set(key, choices, CHOICES_TTL)
        except Exception:  # noqa: BLE001
            pass
    return {**choices, "markings": markings}
