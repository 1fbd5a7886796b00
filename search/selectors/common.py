"""What every kind of search shares: the filters and results, the matching
(full text, phrase pairs, headlines; SQLite's word match), and the walk
from candidates to confirmed ids (``Walk``, ``_found_ids``: search/probe.py)."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchHeadline
from django.db import connection
from django.db.models import BooleanField, Case, Func, Q, TextField, Value, When
from django.db.models.lookups import Exact
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from documents.extraction import PAGE_BREAK
from reviews.models import Review
from portal.scoping import reader_key
from portal.statements import cached_rows, cached_values, cached_values_together
from reviews.querysets import reach_of

from .. import probe
from ..query import CONFIG, LiteralQuery, Parsed, tsquery_text
from ..vectors import Pairs, Vector

KINDS = {"review": "Reviews", "document": "Documents", "rfi": "Questions", "finding": "Findings"}
CAP = 100  # counts above this show as "100+" (each kind's search stops there)
# ts_headline reads the text it highlights: a document's snippet comes from its first part, or around its first match past it (search migration 0009).
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

    @property
    def narrows(self) -> bool:
        """A filter that keeps some rows of a kind and not others: then a branch
        is read as its scoped query (``_branch``), never walked."""
        return bool(self.review_id or self.agency_id or self.company_id or self.date_from or self.date_to or self.marking_id)

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
    pk: int = 0  # the found row's id (the API's object id: /api/v1/<kind>s/<pk>/)
    text_page: int | None = None  # the PDF page its snippet is on (a document's text, an evidence file's)
    page_url: str = ""  # the PDF (a document's version, an evidence file) opened in the browser at that page (``?page=``, on to ``#page=``), when there is one
    find_url: str = ""  # a document found on a page of its PDF's text: its own find, every page that holds the words


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

    @property
    def noun(self) -> str:
        """What the count counts, in the number it needs: "1 question", "0 questions", "100+ questions"."""
        return self.label.lower()[:-1] if self.count == 1 else self.label.lower()


@dataclass
class Results:
    query: Parsed
    sections: list[Section]
    # Nothing was found and nothing could be: what was typed holds no word the
    # full text searches (only words as common as "the", or punctuation alone).
    unsearchable: bool = False

    @property
    def total(self) -> int:
        return sum(min(s.count, CAP) for s in self.sections)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _dated(qs, filters: Filters, path: str = "created_at"):
    """``qs`` within the dates, days of the active time zone, as bounds on the
    column itself (from the first day's midnight to the midnight after the
    last): an index on it answers them, where ``__date`` turned every row's
    moment into a local date first (a week without matches read every match:
    0.2-0.7 s at bench scale)."""
    zone = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(**{f"{path}__gte": datetime.combine(filters.date_from, time.min, tzinfo=zone)})
    if filters.date_to and filters.date_to < date.max:
        qs = qs.filter(**{f"{path}__lt": datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=zone)})
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
    """SQLite: an excerpt around the first word found, every word marked; cut
    at spaces, so it neither starts nor ends inside a word."""
    text = " ".join((text or "").split())
    first = _first_found(text, words)
    start = max(0, first - width // 3) if first is not None else 0
    first = first or 0
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    piece = text[start : start + width]
    if start + width < len(text) and text[start + width] != " ":
        space = piece.rfind(" ")
        piece = piece[:space] if space > first - start else piece
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


def with_pairs(parsed: Parsed) -> Parsed:
    """``parsed`` with its phrases' adjacent pairs (PostgreSQL; one statement,
    kept per process for the same phrases): read before any statement is built."""
    if not _postgres() or not parsed.required_phrases:
        return parsed
    return replace(parsed, pairs=_phrase_pairs(parsed.required_phrases))


def no_searchable_word(parsed: Parsed) -> bool:
    """Whether ``parsed`` holds no word the full text searches: none at all
    (quotes, stars, punctuation), or on PostgreSQL only words the English
    configuration leaves out as too common ("the", "of", "and"), whose
    tsquery is empty and matches nothing. One small statement: the search
    asks it only when nothing was found."""
    if parsed.empty:
        return True
    if not _postgres():
        return False
    function = "to_tsquery" if parsed.prefix else "websearch_to_tsquery"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT numnode({function}(%s::regconfig, %s)) = 0", [CONFIG, parsed.terms])
        return cursor.fetchone()[0]


def _pairs(parsed: Parsed) -> LiteralQuery | None:
    """What a row's ``search_pairs`` must match for the query's phrases to be
    in it (a necessary condition, checked from a GIN index; the phrase itself
    is then matched by the vector), or None: no required phrase."""
    return LiteralQuery(parsed.pairs) if _postgres() and parsed.pairs else None


def _matching(qs, parsed: Parsed, vector=None, pairs_path: str | None = None):
    """Rows of ``qs`` whose vector (``vector``: the table's own by default)
    matches; when the query has a phrase, their pairs (``pairs_path``, or the
    table's own column) first. The vector is then asked as a function, which
    no index answers: the planner would otherwise also read the vector index
    for every row holding the phrase's words (77,000 of 300,000 texts for
    "red team") to intersect the pairs' few hundred with.

    Read among a few reviews' ids (``parsed.rows_first``: a branch's
    candidates, ``_branch``), each row's vector is checked rather than the
    index asked. The planner intersected the index's matches of two common
    words with the reviews' rows (a BitmapAnd reading 2,576 questions'
    entries to keep one of the 20-review reviewer's 40: 1.8 ms), where
    checking those 40 rows takes a tenth of that. A document's text is
    checked the same way, among up to DOCUMENT_ARRAY_REVIEWS reviews
    (``document_branches``): its vector is kept in the row (documents
    migration 0011), not read from the text, so checking a reviewer's 1,500
    texts costs 1.3-3.2 ms for any word, where the index's matches of a rare
    word (4,943 texts) were hashed against their reviews in 4.4-7 ms at
    bench scale."""
    vector = vector if vector is not None else Vector()
    pairs = _pairs(parsed)
    if not pairs and parsed.rows_first:
        matches = Func(vector, parsed.tsquery(), function="ts_match_vq", output_field=BooleanField())
        return qs.alias(_m=matches).filter(_m=True)
    if not pairs:
        return qs.alias(_v=vector).filter(_v=parsed.tsquery())
    qs = qs.filter(**{pairs_path: pairs}) if pairs_path else qs.alias(_p=Pairs()).filter(_p=pairs)
    matches = Func(vector, parsed.tsquery(), function="ts_match_vq", output_field=BooleanField())
    return qs.alias(_m=matches).filter(_m=True)


def _headline(expression, parsed: Parsed):
    return SearchHeadline(expression, parsed.tsquery(), config="english", **HEADLINE_OPTIONS)


class _PagedHeadline(SearchHeadline):
    """``[headline, page]`` (search migration 0009) of a whole text: the
    snippet cut from its first HEADLINE_CHARS characters, or around its first
    match past them; the page is of the snippet's first marked word in a
    PDF's text, or None."""

    function = "search_headline_paged"
    output_field = ArrayField(TextField())

    def as_sql(self, compiler, connection, function=None, template=None):
        sql, params = super().as_sql(compiler, connection, function=function, template=template)
        # The markers and the delimiter again, apart (the function finds the fragment by them), and the window.
        return f"{sql[:-1]}, %s, %s, %s, %s)", (*params, _OPEN, _CLOSE, HEADLINE_OPTIONS["fragment_delimiter"], HEADLINE_CHARS)


def _paged_headline(expression, parsed: Parsed):
    return _PagedHeadline(expression, parsed.tsquery(), config="english", **HEADLINE_OPTIONS)


def _paged(value) -> tuple[SafeString, int | None]:
    """A paged headline's snippet, marked, and its page."""
    headline, page = value
    return _mark(headline), int(page) if page else None


def _excerpt_page(text: str, words: list[str]) -> int | None:
    """SQLite: the page of the first word found in a PDF's text (``_excerpt``'s
    piece), or None when the text holds no page break."""
    if PAGE_BREAK not in (text or ""):
        return None
    first = _first_found(text, words)
    return text.count(PAGE_BREAK, 0, first) + 1 if first is not None else None


def _first_found(text: str, words: list[str]) -> int | None:
    """SQLite: where the first of ``words`` found in ``text`` is (case aside), or None."""
    lower = text.lower()
    found = [at for at in (lower.find(w) for w in words) if at >= 0]
    return min(found) if found else None


def _exact(expression, parsed: Parsed):
    """1 for a row whose ``expression``, lower-cased, is what was typed (put first), else 0."""
    return Case(When(Exact(Lower(expression), parsed.normalised), then=Value(1)), default=Value(0))


def first_rows(model, ids: list[int], limit: int, order: tuple[str, ...], offset: int = 0, **keys):
    """``model``'s rows that are the first ``limit`` among ``ids`` in ``order``
    (past the first ``offset``)
    (of its own columns and ``keys``, expressions over them; annotated with
    ``keys``). The ids are sorted and cut on the table alone, in a subquery,
    so the joins a hit needs (its review, model and company) are made for
    ``limit`` rows instead of for every one found (~100: EXPLAIN ANALYZE of
    a rows statement's generic plan 3.1 ms against 2.0, at bench scale;
    timed from the application, ~0.1 ms less). The caller orders the rows
    again."""
    first = model.objects.filter(pk__any_of_unplanned=ids).alias(**keys).order_by(*order).values("pk")[offset:offset + limit]
    return model.objects.filter(pk__in=first).annotate(**keys)


EXACT_MATCHES = 5000


def among_matches(site: str, scoped, ids: list[int], past, *, most: int, user, parsed: Parsed, filters: Filters, path: str = "pk"):
    """A branch of the ``scoped()`` rows among ``ids``: matches read unscoped
    off an index of their own (at most ``most + 1`` of them: a title's GIN, a
    file name's pg_trgm, an exact name's ``lower()``, a model's GIN), so the
    planner cannot walk the user's rows instead — it misjudges how many rows a
    prefix or a name matches. ``path``: the scoped rows' field the ids are of
    (their own id, or a review's model). Past ``most`` of them, ``past`` (a
    branch: a function of the number of rows wanted) decides; no ids, no
    statement."""
    if not ids:
        return []
    if len(ids) > most:
        return past
    return lambda n: kept("values", (site, "among", n),
                          lambda p, *, ids: scoped().filter(**{f"{path}__any_of": ids}).values_list("pk", flat=True)[:n],
                          user=user, parsed=parsed, filters=filters, ids=sorted(set(ids)))


def exact_branch(site: str, model, scoped, expressions: tuple, *, user, parsed: Parsed, filters: Filters):
    """A branch of the rows in scope whose ``expressions`` (a title, a subject,
    a model's name), lower-cased, are what was typed: the rows ``_exact_first``
    puts first. The other branches stop at CAP + 1 matches in no order, so
    past that many an exact match was often not among them (a document titled
    "Sandbox escape" after 110 "Sandbox escape log …": shown nowhere).

    Read first unscoped off the ``lower()`` indexes (search/migrations/0003):
    most searches match no title exactly, and then this one small statement
    (planned in a tenth of a millisecond) is all it costs. Only ids found go
    through ``scoped()`` (``among_matches``); past EXACT_MATCHES of them, the
    scoped query with the match decides."""
    run = partial(kept, user=user, parsed=parsed, filters=filters)
    ids = run("values", *exact_read(site, model, expressions))
    past = lambda n: run("values", (site, "scoped", n), lambda p: _exactly(scoped(), expressions, p).values_list("pk", flat=True)[:n])  # noqa: E731
    return among_matches(site, scoped, ids, past, most=EXACT_MATCHES, user=user, parsed=parsed, filters=filters)


def _exactly(qs, expressions: tuple, p: Parsed):
    condition = Q()
    for i in range(len(expressions)):
        condition |= Q(**{f"_exact_{i}": p.normalised})
    return qs.alias(**{f"_exact_{i}": Lower(e) for i, e in enumerate(expressions)}).filter(condition)


def exact_read(site: str, model, expressions: tuple) -> tuple[tuple, object]:
    """``exact_branch``'s unscoped read, (site, build): at most EXACT_MATCHES + 1
    ids whose ``expressions`` are what was typed (``read_first`` reads it with
    the others)."""
    return (site, "matches", EXACT_MATCHES), lambda p: _exactly(model.objects.order_by(), expressions, p).values_list("pk", flat=True)[: EXACT_MATCHES + 1]


def kept(kind: str, site: tuple, build, *, user, parsed: Parsed, filters: Filters, by_ids: bool = False, **values) -> list:
    """The rows of ``build(parsed, **values)`` — a ``values_list()`` queryset
    (``kind`` "values") or model instances ("rows") — through a statement kept
    compiled per call site, query shape, filters and reader
    (``portal.statements``: building and compiling a search's dozen querysets
    was a third of its time). ``site`` names the call site and anything else
    the build reads (a limit, a batch size); ``values`` are ids, id lists or
    texts. The query's own texts go in as slots (``Parsed.slotted``), so
    another search of the same shape runs the same statement. Elsewhere than
    on PostgreSQL the queryset is built and read as usual.

    A site this search already read together with others (``read_first``:
    the unscoped index reads) gives what that statement found for it.

    ``by_ids``: the statement reads rows already found (a kind's rows, their
    snippets) by their ids, and the query's texts only feed their headline,
    rank and exact-match order: it runs prepared, and from its sixth run on
    the connection PostgreSQL reuses its plan (measured at bench scale:
    0.4-0.7 ms less for each of a search's five or six such statements).
    Every other search statement is planned for its texts each time."""
    if not _postgres():
        return list(build(parsed, **values))
    first = _read_first.get()
    if first is not None and kind == "values" and not values and site in first:
        return first[site]
    key, slotted, texts = _statement(site, build, user=user, parsed=parsed, filters=filters)
    fetch = cached_values if kind == "values" else cached_rows
    # Otherwise never prepared: the best plan of a search's matching and scoped
    # reads depends on how common its words are and how many candidates it
    # confirms, which a generic plan cannot know (measured: its generic plans
    # of the candidates 0.4 -> 60 ms, of the confirmations 2 -> 7 ms).
    return fetch(key, slotted, prepared=by_ids, plan_ignores_texts=by_ids, now=timezone.now(), **texts, **values)


def _statement(site: tuple, build, *, user, parsed: Parsed, filters: Filters):
    """A kept statement's key, its build with the query's texts as slots, and
    those texts (``kept``)."""

    def slotted(*, terms, normalised, pairs=None, number=None, now=None, **rest):
        return build(parsed.slotted(terms=terms, normalised=normalised, pairs=pairs, number=number), **rest)

    texts = {"terms": parsed.terms, "normalised": parsed.normalised}
    if parsed.pairs is not None:
        texts["pairs"] = parsed.pairs
    if parsed.number is not None:
        texts["number"] = parsed.number
    # What the scoping reads besides the reader (portal.scoping.reader_key): its
    # clock, a slot; the dates' bounds are the active time zone's midnights.
    zone = timezone.get_current_timezone_name() if filters.date_from or filters.date_to else None
    return ("search", *site, parsed.shape, filters, CAP, zone, reader_key(user)), slotted, texts


# What this search's unscoped index reads found, by call site (``read_first``).
_read_first: ContextVar[dict[tuple, list] | None] = ContextVar("search_read_first", default=None)


@contextmanager
def read_first(reads: list[tuple[tuple, object]], *, user, parsed: Parsed, filters: Filters):
    """While inside, ``kept`` answers each of ``reads`` — (site, build) pairs
    of unscoped index reads of one column, asked with no values but the
    query's texts: an exact name, a title's or a model's words, a file name —
    from one statement that read them all (``portal.statements.
    cached_values_together``), run here, before the kinds start.

    Read one by one, each kind asked its own in turn (the documents three,
    the reviews two, the questions and findings one each): seven round trips
    and statements, each returning nothing for most searches. The ids they
    find are the same either way; only what a kind then asks of them in
    scope is read as before. Kept in a context variable, which the kinds'
    threads get a copy of (``portal.parallel``). On PostgreSQL only; where a
    statement cannot be kept, each site reads its own, as before."""
    found = None
    if _postgres() and reads:
        calls, texts = [], {}
        for site, build in reads:
            key, slotted, texts = _statement(site, build, user=user, parsed=parsed, filters=filters)
            calls.append((key, slotted))
        rows = cached_values_together(calls, now=timezone.now(), **texts)
        if rows is not None:
            found = {site: ids for (site, _), ids in zip(reads, rows)}
    token = _read_first.set(found)
    try:
        yield
    finally:
        _read_first.reset(token)


@dataclass(frozen=True)
class Walk:
    """A branch walked from its matches (search/probe.py): ``candidates(size)``
    are (id, review id) rows of the first ``size`` matches, ``confirm(ids,
    review_ids, limit)`` the scoped ids among them, ``scoped(limit)`` the
    first ids of the same branch as a scoped query (the fallback, read only
    if the walk gives up)."""

    candidates: object
    confirm: object
    scoped: object
    reach: probe.Reach


def _branch(site: str, scoped, reach: probe.Reach | None, candidates, confirm, *, user, parsed: Parsed, filters: Filters,
            review_path: str = "review_id", array_reviews: int | None = None):
    """A branch walked from its candidates (PostgreSQL): every match when
    ``reach`` says to walk the matches; otherwise (a user who sees few
    reviews) the matches on the user's reviews — for a phrase, or few
    reviews, their ids as an array (``_in_reach``). Either way ``confirm`` applies
    the scoped query to them. Elsewhere: ``scoped()``.

    ``scoped(parsed)``: the branch's ids as a scoped query;
    ``candidates(parsed)``: the matches' (id, review id) queryset, unscoped;
    ``confirm(parsed, ids, review_ids)``: the scoped ids among ``ids``; all
    read through kept statements (``kept``).

    A search with a filter (``Filters.narrows``: one review, an agency, a
    company, dates, a marking) is not walked: the matches come unscoped and
    unfiltered, the confirmation keeps few of each batch, and the walk grew
    its batches to the last and gave up (one review's three documents took
    0.3 s, a week with none 0.7 s, at bench scale), where the scoped query
    starts from what the filter keeps (those two: 9 and 10 ms). An agency
    keeps more: there the two ways were close for reviewers (the scoped
    query 38-138 ms, the walk 52-89) and the scoped query far faster for the
    program office (12-35 ms against 73-105)."""
    if not _postgres():
        return scoped(parsed)

    def read_scoped(limit: int) -> list:
        return kept("values", (site, "scoped", limit), lambda p: scoped(p)[:limit], user=user, parsed=parsed, filters=filters)

    if filters.narrows:
        return read_scoped

    def read_candidates(build, among_reach: bool, **values):
        return lambda size: kept("values", (site, "candidates", among_reach, size), lambda p, **v: build(p, **v)[:size],
                                 user=user, parsed=parsed, filters=filters, **values)

    def read_confirmed(ids: list[int], review_ids: set[int], limit: int) -> list:
        return kept(
            "values", (site, "confirm", limit), lambda p, *, ids, among: confirm(p, ids, among)[:limit],
            user=user, parsed=parsed, filters=filters, ids=sorted(ids), among=sorted(review_ids),
        )

    matches = read_candidates(candidates, False)
    if reach is not None:
        return Walk(matches, read_confirmed, read_scoped, reach)
    every = probe.Reach(None, 2 * (CAP + 1))
    if user.is_program_admin:  # the program office has no reach rows: it sees every review
        return Walk(matches, read_confirmed, read_scoped, every)
    reviews = _in_reach(user, parsed, most=array_reviews or ARRAY_REVIEWS)
    if reviews:
        build = lambda p, *, reviews: candidates(replace(p, rows_first=True)).filter(**{f"{review_path}__any_of": reviews})  # noqa: E731
        return Walk(read_candidates(build, True, reviews=reviews), read_confirmed, read_scoped, every)
    build = lambda p: candidates(p).filter(**{f"{review_path}__in": reach_of(user).values("review_id")})  # noqa: E731
    return Walk(read_candidates(build, True), read_confirmed, read_scoped, every)


# Below this many reviews in reach, words too are matched among the reviews' ids as an array (``_in_reach``);
# a document's text below DOCUMENT_ARRAY_REVIEWS. Either way each row's vector is checked (``_matching``).
ARRAY_REVIEWS = 100
DOCUMENT_ARRAY_REVIEWS = 1000


def _in_reach(user, parsed: Parsed, *, most: int = ARRAY_REVIEWS) -> list[int] | None:
    """The ids of the reviews ``user`` sees (``probe.user_reach``, read once
    per request), for the candidates of a phrase — or of anything, for a user
    on fewer than ARRAY_REVIEWS reviews — to be matched among as an array
    rather than through the reach rows as a subquery; otherwise None.

    Knowing the ids, PostgreSQL combines their bitmap with the phrase's pairs
    (a BitmapAnd) where, through the subquery, it probed every review's rows
    and read each row's pairs (measured at bench scale for the 500-review
    reviewer: "red team" 21.9 -> 10.6 ms a search, "model evaluation" 30.4 ->
    25.5 ms; the 20-review reviewer's 5.2 -> 4.0 ms). A few reviews' rows are
    few whatever the words, where through the subquery it read every match
    of a rare word to hash them against the reviews (the 20-review
    reviewer's rare word 13.7 -> 6.6 ms, "threat model*" 14.0 -> 9.9 ms, two
    words 1.0 ms more, the others 0.6 ms less: interleaved A/B). Not for
    words on more reviews: a common word's bitmap
    is most of the table, and the walk through the reviews stops at its
    first matches (the 500-review reviewer's "threat model*" 17.6 -> 28 ms
    with the array). ``most``: that bound for the caller's rows — documents'
    texts, each row's vector checked rather than the index asked, stay
    bounded among up to DOCUMENT_ARRAY_REVIEWS reviews (the 500-review
    reviewer's candidates: a rare word 7.4 -> 3.3 ms, "threat model*" 3.5 ->
    3.4, one word 1.4 -> 1.2, in turn at bench scale)."""
    seen = probe.user_reach(user)
    if seen is None or not seen.review_ids or (not _pairs(parsed) and len(seen.review_ids) >= most):
        return None
    return sorted(seen.review_ids)


def _found_ids(branches) -> tuple[set[int], int]:
    """The ids the branches find (at most CAP + 1 rows each, unordered and not
    made distinct, so the database stops early) and their count, capped. A
    branch is a ``Walk``, a function of the number of rows wanted, or a queryset."""
    ids: set[int] = set()
    capped = False
    for branch in branches:
        found = None
        if isinstance(branch, Walk):
            found = probe.walk(branch.candidates, branch.confirm, branch.reach, cap=CAP)
            branch = branch.scoped if found is None else None
        if found is None:
            found = branch(CAP + 1) if callable(branch) else list(branch[: CAP + 1])
        capped = capped or len(found) > CAP
        ids.update(found)
    return ids, CAP + 1 if capped else len(ids)
