"""Search over what the user may see: reviews (and their models), documents
(title, file name, and the text of the versions the user may read),
questions with their thread, and findings.

Scoped by construction: every result set starts from the model's
``visible_to(user)`` (the reach index), material from its
``visible_to(user, material=True)`` (the terms gate) and documents past
``reviews.selectors.without_returned`` (the agency's certificate of return),
a version's text from
``DocumentVersion.objects.readable_by(user)`` (the scan and marking rules of
fetching it). Counts and snippets come from the same scoped sets. On
PostgreSQL matching is full-text (stored ``tsvector`` columns, GIN indexes,
English configuration; ``word*`` prefixes, ``"phrases"``; pg_trgm for names
and file names); on SQLite it is a case-insensitive match of every word.

The package: ``common`` (filters, results, matching, the walk), one module
per kind (``reviews``, ``documents``, ``material`` for questions and
findings), ``choices`` (the filter options), ``saved`` (the saved-search list),
``within`` (find in one document: its matching pages) and ``activity`` (what a saved search's alert tells besides new rows).
"""

from __future__ import annotations

from functools import partial

from portal.parallel import side_by_side

from .. import probe
from ..query import parse
from . import common
from .activity import ACTIVITY, activity_found
from .choices import CHOICES_TTL, filter_choices, review_named
from .common import CAP, KINDS, Filters, Hit, Results, Section
from .documents import _documents, document_branches, first_reads as _document_reads
from .material import _findings, _rfis, finding_first_reads, rfi_first_reads
from .reviews import _reviews, first_reads as _review_reads
from .saved import SavedRow, saved_search_list, saved_search_url, saved_searches_of
from .within import PAGES_SHOWN, FoundInDocument, document_pages_found

__all__ = ["ACTIVITY", "CAP", "CHOICES_TTL", "KINDS", "PAGES_SHOWN", "FoundInDocument", "Filters", "Hit", "Results", "SavedRow", "Section", "activity_found",
           "document_branches", "document_pages_found", "filter_choices", "review_named", "saved_search_list", "saved_search_url", "saved_searches_of", "search"]


def search(*, user, text: str, filters: Filters = Filters(), limit: int = 10, offset: int = 0) -> Results:
    """Results per kind (``limit`` of each, best first, past the first
    ``offset``: at most CAP are ranked, so ``offset + limit`` beyond it shows
    nothing more) and their
    counts (each capped at ``common.CAP``), and whether, nothing found, what
    was typed held no searchable word (``Results.unsearchable``). The kinds are independent reads,
    run side by side on their own connections where that is safe
    (``portal.parallel``: never inside a transaction); what each reads and
    whom for is the same either way. Their unscoped index reads come first,
    together in one statement (``common.read_first``)."""
    parsed = parse(text)
    sections = []
    if not parsed.empty:
        parsed = common.with_pairs(parsed)
        # A filter that narrows reads every kind's scoped query (common._branch): no walk, no reach to read.
        reach = None if filters.narrows else probe.reach_for_matches(user, cap=common.CAP)
        kinds = [(kind, run, reads) for kind, run, reads in (
            ("review", _reviews, _review_reads), ("document", _documents, _document_reads),
            ("rfi", _rfis, rfi_first_reads), ("finding", _findings, finding_first_reads),
        ) if filters.wants(kind)]
        # The documents, the longest to read, on the request's own thread (it starts at once).
        kinds.sort(key=lambda kind: kind[0] != "document")
        # Every kind's unscoped index reads in one statement, before the kinds start (common.read_first).
        with common.read_first([read for *_, reads in kinds for read in reads(parsed)], user=user, parsed=parsed, filters=filters):
            found = dict(zip((kind for kind, *_ in kinds), side_by_side(*(partial(run, user, parsed, filters, limit, reach, offset=offset) for _, run, _ in kinds))))
        sections = [Section(kind, label, *found[kind]) for kind, label in KINDS.items() if kind in found]
    results = Results(parsed, sections)
    # "Nothing matches" would be wrong when nothing could: said apart (one statement, only then).
    results.unsearchable = not results.total and common.no_searchable_word(parsed)
    return results
