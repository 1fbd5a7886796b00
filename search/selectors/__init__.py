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

The package: ``common`` (filters, results, matching, the walk), one module
per kind (``reviews``, ``documents``, ``material`` for questions and
findings) and ``choices`` (the filter options).
"""

from __future__ import annotations

from functools import partial

from portal.parallel import side_by_side

from .. import probe
from ..query import parse
from . import common
from .choices import CHOICES_TTL, filter_choices
from .common import KINDS, Filters, Hit, Results, Section
from .documents import _documents, document_branches
from .material import _findings, _rfis
from .reviews import _reviews

__all__ = ["CHOICES_TTL", "KINDS", "Filters", "Hit", "Results", "Section", "document_branches", "filter_choices", "search"]


# A kind's scoped reads (its confirmation: the candidates past the reach,
# terms, certificate, scan and sharing rules) join six or seven tables and
# semi-joins, and PostgreSQL spent 1-3 ms choosing their join order against
# well under 1 ms running them. Kept in the order written (the candidates'
# ids first, then their review's grants) they plan in a third of that.
# Measured at bench scale over every bench query and reader, EXPLAIN ANALYZE
# both ways: planning 25-45 % less, running 4-25 % less in all; one statement
# (a 500-review reader's document confirmation) ran 0.6-0.9 ms longer and
# planned 1.2-1.5 ms shorter. Searches 1-3 ms faster at p50 for reviewers,
# the office's unchanged (A/B in one process).
PLANNER = {"join_collapse_limit": 1, "from_collapse_limit": 1}


def search(*, user, text: str, filters: Filters = Filters(), limit: int = 10) -> Results:
    """Results per kind (the first ``limit`` of each, best first) and their
    counts (each capped at ``common.CAP``). The kinds are independent reads,
    run side by side on their own connections where that is safe
    (``portal.parallel``: never inside a transaction); what each reads and
    whom for is the same either way."""
    parsed = parse(text)
    sections = []
    if not parsed.empty:
        parsed = common.with_pairs(parsed)
        reach = probe.reach_for_matches(user, cap=common.CAP)
        kinds = [(kind, run) for kind, run in (("review", _reviews), ("document", _documents), ("rfi", _rfis), ("finding", _findings))
                 if filters.wants(kind)]
        # The reviews, the quickest to read, on the request's own thread; the
        # rest aside, where their statements are planned with the joins in
        # the order written (PLANNER).
        kinds.sort(key=lambda pair: pair[0] != "review")
        calls = (partial(run, user, parsed, filters, limit, reach) for _, run in kinds)
        found = dict(zip((kind for kind, _ in kinds), side_by_side(*calls, planner=PLANNER)))
        sections = [Section(kind, label, *found[kind]) for kind, label in KINDS.items() if kind in found]
    return Results(parsed, sections)
