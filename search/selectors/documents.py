"""Documents matching a search: the title (GIN), the file name (pg_trgm) and
the text of a version the user may read (walked from its candidates:
search/probe.py), with the newest matching version's snippet."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.postgres.search import SearchVectorExact
from django.db.models import BooleanField, Case, F, Value, When
from django.utils.safestring import SafeString

from documents.models import Document, DocumentText, DocumentVersion
from portal.links import pk_url
from reviews.models import ReviewAgency
from reviews.selectors import without_returned

from .. import probe
from ..query import Parsed
from ..vectors import Vector
from .common import (
    DOCUMENT_ARRAY_REVIEWS,
    Filters,
    Hit,
    _branch,
    _dated,
    _exact,
    _excerpt,
    _excerpt_page,
    _found_ids,
    _in_review,
    _matching,
    _paged,
    _paged_headline,
    _postgres,
    _words,
    among_matches,
    exact_branch,
    exact_read,
    first_rows,
    kept,
)


def _readable_text_versions(user, parsed: Parsed, among=None, *, matched: bool = False):
    """Versions of documents ``user`` sees (``among``: on those reviews) whose
    text matches and which they may read. ``matched``: the caller asks only
    about versions whose extracted text matched a moment ago (a walk's
    candidates), so the scope and reading rules are applied without
    matching the text again — a join and each candidate's vector read and
    decompressed fewer (documents migration 0011 keeps it in the row)."""
    # Text exists only once a version's scan passed; pending and quarantined
    # versions are left out for everyone, whatever readable_by allows.
    versions = DocumentVersion.objects.visible_to(user, among=among, material=True).readable_by(user).filter(scan_status__in=["clean", "not_scanned"])
    if matched:
        return versions
    if _postgres():
        return _matching(versions.filter(text__status="extracted"), parsed, F("text__search_vector"), "text__search_pairs")
    return versions.filter(text__status="extracted").filter(_words(["text__text"], parsed.words))


def _scoped_documents(qs, user, filters: Filters, path: str = ""):
    """``qs`` (documents, or versions with ``path`` "document__", read with
    ``visible_to(user, material=True)``: within the user's scope and past the
    terms gate) past the certificate gate, and within the filters."""
    review = f"{path}review"
    qs = without_returned(qs, user=user, review_path=review)
    qs = _dated(_in_review(qs, filters, path=review), filters, path=f"{path}created_at")
    if filters.agency_id:
        # The reviews the agency takes part in, as a semi-join on the document's
        # own review id: through ``review__participations`` the statement also
        # joined the review itself, one relation more for the planner to order
        # (planned in 4.4-4.8 ms, against 1.6-1.9 ms so, at bench scale; the
        # search page 3-4 ms faster p50 for the reviewers, the same for the office).
        qs = qs.filter(**{f"{review}_id__in": ReviewAgency.objects.filter(agency_id=filters.agency_id).values("review_id")})
    if filters.marking_id:
        qs = qs.filter(**{f"{path}marking_id": filters.marking_id})
    return qs.order_by()


def document_branches(user, parsed: Parsed, filters: Filters = Filters(), reach: probe.Reach | None = None) -> list:
    """The documents ``user`` may see that match ``parsed``, one branch of
    document ids per way of matching: the exact title (``exact_branch``); on
    PostgreSQL the title (GIN) and the file name (pg_trgm), read unscoped and
    then scoped (``_matches_first``); the text of a version the user may read,
    walked from its candidates and confirmed (``_branch``, search/probe.py).
    Each is asked with a limit."""
    # The scoped querysets are built only when asked (a walk that finds its
    # ids never asks for the fallback), and afresh each time: a kept
    # statement's build must read the scoping's clock it is given, not a
    # queryset built earlier at another moment (portal.statements).
    def scoped():
        return _scoped_documents(Document.objects.visible_to(user, material=True), user, filters)

    def texts_among(p, among=None, matched=False):
        texts = _scoped_documents(_readable_text_versions(user, p, among, matched=matched), user, filters, path="document__")
        return texts.filter(document__purpose="review")

    exact = exact_branch("documents.exact", Document, scoped, _EXACT, user=user, parsed=parsed, filters=filters)
    if not _postgres():
        return [exact, scoped().filter(_words(["title", "versions__original_name"], parsed.words)).values_list("pk", flat=True),
                texts_among(parsed).values_list("document_id", flat=True)]
    branches = [
        exact,
        _title_branch(user, parsed, filters, scoped),
        _branch(
            "documents.text", lambda p: texts_among(p).values_list("document_id", flat=True), reach,
            # Not an evidence file's text (searched with its finding): it would only take a candidate's place.
            lambda p: _matching(DocumentText.objects.filter(status="extracted", evidence=False).order_by(), p, F("search_vector"), "search_pairs")
            .values_list("version_id", "review_id"),
            lambda p, ids, among: texts_among(p, among, matched=True).filter(pk__any_of=ids).values_list("document_id", flat=True),
            user=user, parsed=parsed, filters=filters, array_reviews=DOCUMENT_ARRAY_REVIEWS,
        ),
    ]
    if parsed.names:
        branches.append(_name_branch(user, parsed, filters, scoped))
    return branches


_EXACT = ("title",)


def first_reads(parsed: Parsed) -> list[tuple[tuple, object]]:
    """The documents' unscoped index reads, (site, build) pairs read together
    with the other kinds' before any kind starts (``common.read_first``): the
    exact title, the title's words, and the file name when one could be typed."""
    reads = [exact_read("documents.exact", Document, _EXACT), _title_read()]
    if parsed.names:
        reads.append(_name_read())
    return reads


def _named(p: Parsed):
    """Document ids of versions whose file name holds what was typed (pg_trgm on
    ``UPPER(original_name)``). The text goes in as an expression, so the
    ``%…%`` pattern and its escaping are built in SQL from the text as it is:
    the statement is kept with the text as a slot (a pattern built in Python
    was a new statement each search, ~0.5 ms of compiling), and PostgreSQL
    folds the constant pattern before choosing the index (EXPLAIN: the same
    bitmap scan of search_version_name_trgm_idx)."""
    return DocumentVersion.objects.filter(original_name__icontains=Value(p.normalised)).order_by().values_list("document_id", flat=True)


def _name_read() -> tuple[tuple, object]:
    return ("documents.name", TITLE_MATCHES), lambda p: _named(p)[: TITLE_MATCHES + 1]


def _name_branch(user, parsed: Parsed, filters: Filters, scoped):
    ids = kept("values", *_name_read(), user=user, parsed=parsed, filters=filters)
    return _matches_first("documents.name", scoped, ids, lambda: _named(parsed), user=user, parsed=parsed, filters=filters)


TITLE_MATCHES = 5000


def _title_read() -> tuple[tuple, object]:
    return (
        ("documents.title", TITLE_MATCHES),
        lambda p: Document.objects.alias(v=Vector()).filter(v=p.tsquery()).order_by().values_list("pk", flat=True)[: TITLE_MATCHES + 1],
    )


def _title_branch(user, parsed: Parsed, filters: Filters, scoped):
    """Titles are short and few match a query: their ids come off the GIN index
    first (unscoped, at most TITLE_MATCHES), then the scope is applied to them
    — the planner misjudges how many titles a prefix matches and would walk
    the user's documents instead. Past that many, the scoped query decides."""
    ids = kept("values", *_title_read(), user=user, parsed=parsed, filters=filters)

    def matches():  # built only past TITLE_MATCHES
        return Document.objects.alias(v=Vector()).filter(v=parsed.tsquery()).order_by().values_list("pk", flat=True)

    return _matches_first("documents.title", scoped, ids, matches, user=user, parsed=parsed, filters=filters)


def _matches_first(site: str, scoped, ids: list[int], matches, *, user, parsed: Parsed, filters: Filters):
    """``scoped()`` documents among ``ids`` (``among_matches``): at most
    TITLE_MATCHES + 1 of ``matches`` (document ids off the title's GIN or the
    file name's pg_trgm). Past TITLE_MATCHES, the scoped query among
    ``matches()`` decides (built each time: rare)."""
    past = lambda n: list(scoped().filter(pk__in=matches()).values_list("pk", flat=True)[:n])  # noqa: E731
    return among_matches(site, scoped, ids, past, most=TITLE_MATCHES, user=user, parsed=parsed, filters=filters)


def _documents(user, parsed: Parsed, filters: Filters, limit: int, reach: probe.Reach | None = None, offset: int = 0):
    ids, count = _found_ids(document_branches(user, parsed, filters, reach))
    if not ids:
        return 0, []

    def rows(p, *, ids):
        if _postgres():
            title_hit = SearchVectorExact(Vector(), p.tsquery())
        else:
            title_hit = Case(When(_words(["title"], parsed.words), then=Value(True)), default=Value(False), output_field=BooleanField())
        order = ("-exact", "-title_hit", "-created_at", "-id")
        qs = first_rows(Document, ids, limit, order, offset, exact=_exact(F("title"), p), title_hit=title_hit)
        return qs.select_related("review__model", "review__company", "marking").order_by(*order)

    rows = kept("rows", ("documents.rows", limit, offset), rows, by_ids=True, user=user, parsed=parsed, filters=filters, ids=sorted(ids))
    snippets = _document_snippets(user, parsed, filters, [d for d in rows if not d.title_hit])
    hits = []
    for doc in rows:
        url = pk_url("document_detail", doc.pk)
        page, page_url, find_url, marking = None, "", "", doc.marking.short_label or doc.marking
        if doc.pk in snippets:
            # The marking shown is the one the snippet's text is under: an earlier version keeps its own.
            number, snippet, page, version_id, marking = snippets[doc.pk]
            detail = f"{doc.get_kind_display()} · text of version {number}" + (f", page {page}" if page else "")
            url = f"{url}#version-{number}"  # its row on the document's page: View and Download of that version
            if page:
                # Only PDFs have pages. The view asks every rule again (scan, marking, step-up, watermark size),
                # then sends the browser on with the page as the fragment its PDF viewer reads.
                page_url = f"{pk_url('version_view', version_id)}?page={page}"
                # Where else in it: the document's find lists every page that holds the same words.
                find_url = f"{pk_url('document_find', doc.pk)}?{urlencode({'q': parsed.raw})}"
        else:
            snippet = _title_mark(doc.title, parsed)
            detail = doc.get_kind_display()
        hits.append(
            Hit("document", doc.title, url, doc.review, snippet, doc.created_at,
                detail=f"{detail} · {marking}", pk=doc.pk, text_page=page, page_url=page_url, find_url=find_url)
        )
    return count, hits


def _title_mark(title: str, parsed: Parsed) -> SafeString:
    """A title matched by its words or file name: the typed words marked in it."""
    return _excerpt(title, [w for w in parsed.words if len(w) > 1])


def _document_snippets(user, parsed: Parsed, filters: Filters, documents: list[Document]) -> dict[int, tuple[int, SafeString, int | None, int, str]]:
    """For documents found by their text: (version number, highlighted snippet,
    the page of a PDF it is on or None, the version's id, the version's
    marking label) from the newest matching version the user may read."""
    if not documents:
        return {}

    def build(p, *, among, ids):
        versions = _readable_text_versions(user, p, among).filter(document_id__any_of_unplanned=ids)
        if _postgres():
            versions = versions.annotate(snippet=_paged_headline(F("text__text"), p))
        else:
            versions = versions.annotate(snippet=F("text__text"))
        return versions.order_by("document_id", "-number").values_list(
            "document_id", "number", "pk", "marking__short_label", "marking__name", "snippet",
        )

    rows = kept("values", ("documents.snippets",), build, by_ids=True, user=user, parsed=parsed, filters=filters,
                among=sorted({d.review_id for d in documents}), ids=sorted(d.pk for d in documents))
    found: dict[int, tuple[int, SafeString, int | None, int, str]] = {}
    # The annotation last: a kept statement's columns as asked (portal.statements).
    for document_id, number, version_id, short_label, name, snippet in rows:
        if document_id not in found:
            marking = short_label or name  # the version's own: the one its text was handed over under
            if _postgres():
                found[document_id] = (number, *_paged(snippet), version_id, marking)
            else:
                found[document_id] = (number, _excerpt(snippet, parsed.words), _excerpt_page(snippet, parsed.words), version_id, marking)
    return found
