"""Find in one document: every page of its text that matches, in order.

A search hit names the one page its snippet is on; a reviewer reading a
200-page report asks next where else the words are. This reads the newest
version of the document whose text the reader may read — past the same rules
as the search (``DocumentVersion.readable_by``: the scan and the view-only
marking; the document itself is in scope and past the terms and the
certificate, ``documents.selectors.document_in_scope``) — and splits its text
at the page breaks extraction keeps (``documents.extraction.PAGE_BREAK``).

On PostgreSQL a page matches as the search matches (English configuration,
websearch syntax, ``word*`` prefixes) and its snippet is ``ts_headline``'s,
in one statement that never sends the text to the web process; on SQLite
(the embedded default) a page matches when it holds every word, case aside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections
from django.utils.safestring import SafeString

from documents.extraction import PAGE_BREAK, PAGE_VECTOR_CHARS
from documents.models import Document, DocumentText, DocumentVersion

from ..query import CONFIG, Parsed, parse
from .common import HEADLINE_OPTIONS, _excerpt, _mark, _postgres

PAGES_SHOWN = 50  # a word on more pages than this is better narrowed: the page says how many more


@dataclass
class PageFound:
    page: int  # 1-based; a text without breaks (a text file, a one-page PDF) is page 1
    snippet: SafeString


@dataclass
class FoundInDocument:
    query: Parsed
    version: DocumentVersion | None  # the newest version whose text the reader may search; None: none has
    pages: list[PageFound] = field(default_factory=list)
    total: int = 0  # pages that match, PAGES_SHOWN or not
    opens_at_pages: bool = False  # a PDF (the reader may open it in the browser): each page links into it

    @property
    def more(self) -> int:
        return self.total - len(self.pages)


# The headline's options as Django's SearchHeadline writes them (``Option='value', …``).
def _options(connection) -> str:
    names = {"start_sel": "StartSel", "stop_sel": "StopSel", "max_words": "MaxWords", "min_words": "MinWords",
             "max_fragments": "MaxFragments", "fragment_delimiter": "FragmentDelimiter"}
    return ", ".join(connection.ops.compose_sql(f"{names[name]}=%s", [value]) for name, value in HEADLINE_OPTIONS.items())


# Pages are numbered by their order in the text; only matching pages get a headline (the window's
# count is taken first, the headline made for the rows the limit lets through). A page is matched
# against its stored vector (``page_vectors``: the extraction keeps one per page of a multi-page
# text, documents/0014). The two arrays are zipped, so a page without a stored vector (a single
# page, a text extracted before the column) has its words parsed here instead: ~1 ms a
# 5,000-character page, its first ``PAGE_VECTOR_CHARS`` as the stored vector would be, so a page
# of a hash dump cannot overflow a tsvector. A text whose stored whole-text vector cannot match is
# not read at all — only where that says nothing false: the query has no phrase or hyphenated word
# (the vector's positions stop at 16,383, so a late phrase would not match it) and no negation (a
# page may lack a word the text holds), and the vector covers the whole text (``indexed_chars``: a
# vector too large is made of the text's first part; measured in bytes, so a text of multi-byte
# characters is always split).
_PAGES_SQL = """
SELECT p.n, ts_headline(%(config)s::regconfig, p.page, q.q, %(options)s), count(*) OVER ()
FROM documents_documenttext t
CROSS JOIN LATERAL (SELECT {function}(%(config)s::regconfig, %(terms)s) AS q) q
CROSS JOIN LATERAL unnest(t.page_vectors, string_to_array(t.text, %(page_break)s)) WITH ORDINALITY AS p(vector, page, n)
WHERE t.version_id = %(version)s AND t.status = 'extracted'
  AND (q.q::text ~ '[<!]' OR t.search_vector IS NULL OR t.indexed_chars < octet_length(t.text) OR t.search_vector @@ q.q)
  AND p.page IS NOT NULL
  AND coalesce(p.vector, to_tsvector(%(config)s::regconfig, left(p.page, %(page_chars)s))) @@ q.q
ORDER BY p.n
LIMIT %(most)s
"""


def document_pages_found(*, user, document: Document, text: str, most: int = PAGES_SHOWN) -> FoundInDocument:
    """The pages of ``document``'s newest searchable version that match
    ``text`` (the first ``most``, in page order, each with its snippet) and how
    many match in all. ``document`` must be one the caller has scoped for
    ``user`` (``documents.selectors.document_in_scope``); the version is chosen
    here by the reading rules, so a newer version still scanning, quarantined
    or view-only for a file that cannot be viewed is passed over for the one
    before it."""
    parsed = parse(text)
    version = (
        DocumentVersion.objects.filter(document=document).readable_by(user)
        .filter(scan_status__in=["clean", "not_scanned"], text__status="extracted")
        .select_related("marking").order_by("-number").first()
    )
    found = FoundInDocument(parsed, version)
    # A readable PDF opens in the browser: readable_by holds the inline view's rules (scan, the version's marking, stamping size).
    found.opens_at_pages = version is not None and version.is_pdf
    if version is None or parsed.empty:
        return found
    if _postgres():
        connection = connections[DocumentVersion.objects.db]
        with connection.cursor() as cursor:
            cursor.execute(_PAGES_SQL.format(function="to_tsquery" if parsed.prefix else "websearch_to_tsquery"), {
                "config": CONFIG, "options": _options(connection), "terms": parsed.terms, "page_break": PAGE_BREAK,
                "page_chars": PAGE_VECTOR_CHARS,
                "version": version.pk, "most": most,
            })
            rows = cursor.fetchall()
        found.pages = [PageFound(n, _mark(headline)) for n, headline, _ in rows]
        found.total = rows[0][2] if rows else 0
        return found
    body = DocumentText.objects.filter(version=version).values_list("text", flat=True).first() or ""
    matching = [(n, page) for n, page in enumerate(body.split(PAGE_BREAK), start=1)
                if all(word in page.lower() for word in parsed.words)]
    found.pages = [PageFound(n, _excerpt(page, parsed.words)) for n, page in matching[:most]]
    found.total = len(matching)
    return found
