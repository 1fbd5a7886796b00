"""What the user typed, as PostgreSQL full-text queries (and words for SQLite).

* plain words: ``websearch_to_tsquery`` (English): all words, stemmed;
  ``"quoted words"`` is a phrase, ``or`` an alternative, ``-word`` excludes;
* ``word*`` asks for a prefix: then the query is built for ``to_tsquery`` from
  the typed words only (letters, digits, underscore), each as a quoted lexeme,
  phrases joined with ``<->`` and prefixes marked ``:*`` — nothing the user
  types reaches the tsquery syntax unquoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery

MAX_LENGTH = 200
_WORD = re.compile(r"\w+", re.UNICODE)
_TERM = re.compile(r'"([^"]*)"?|(\S+)')
_SIGNED_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
CONFIG = "english"


@dataclass(frozen=True)
class Parsed:
    """What was typed, and what of it reaches the statements.

    The statements (search.selectors) read only ``terms``, ``normalised``,
    ``pairs`` and ``number`` as values and the flags of ``shape``: a search's
    statements are kept compiled per shape, and a kept statement is built from
    ``slotted`` — the same shape with stand-in texts in place of these four
    (``portal.statements``): nothing read from ``raw`` or ``words`` may reach a
    statement."""

    raw: str  # what was typed, trimmed and capped
    exact: str  # lower-cased words, for "an exact title match first"
    words: list[str] = field(default_factory=list)  # the words (SQLite search; empty: nothing to search)
    prefix: bool = False
    terms: str = ""  # the tsquery's text: what was typed (websearch_to_tsquery), or a prefix query's to_tsquery text
    normalised: str = ""  # what was typed without quotes or stars, lower-cased: compared with a title or a name
    number: int | None = None  # "#123" or "123" alone: also a review's number
    pairs: str | None = None  # the phrases' adjacent pairs as tsquery text (PostgreSQL; set by the search)
    # Part of a name is searched for (pg_trgm): three characters or more, not a
    # prefix, and a word of two letters or digits at least — of single
    # characters ("#-1", "a-b") pg_trgm keeps only trigrams such as " 1 " that
    # nearly every name holds, and rechecked all 300,000 file names (40-60 ms).
    names: bool = False
    model_names: bool = False  # the same of the lower-cased words, for model names
    # Set by the search on the candidates it reads among a few reviews' ids
    # (search.selectors.common._branch): each row's vector is then checked
    # rather than its index asked (common._matching).
    rows_first: bool = False

    @property
    def required_phrases(self) -> tuple[str, ...]:
        """The quoted phrases every match must contain: none when the query
        has an alternative (``or``), and never an excluded (``-"…"``) one."""
        phrases, alternative = [], False
        for minus, phrase, term in _SIGNED_TERM.findall(self.raw):
            if phrase and not minus:
                phrases.append(phrase)
            alternative = alternative or term.lower() == "or"
        return () if alternative else tuple(p for p in phrases if _WORD.search(p))

    @property
    def empty(self) -> bool:
        return not self.words

    def tsquery(self) -> SearchQuery:
        return SearchQuery(self.terms, search_type="raw" if self.prefix else "websearch", config=CONFIG)

    @property
    def shape(self) -> tuple:
        """Everything but the four texts that decides a search's statements."""
        return (self.prefix, self.pairs is not None, self.number is not None, self.names, self.model_names)

    def slotted(self, *, terms: str, normalised: str, pairs: str | None, number: int | None) -> Parsed:
        """This shape with the given texts (a kept statement's stand-ins, or the
        real ones): ``raw`` and ``exact`` are the texts too, so a statement that
        read them instead would differ between two stand-ins and not be kept."""
        return Parsed(
            raw=terms, exact=normalised, words=[], prefix=self.prefix, terms=terms, normalised=normalised,
            number=number if self.number is not None else None, pairs=pairs if self.pairs is not None else None,
            names=self.names, model_names=self.model_names,
        )


def parse(text: str | None) -> Parsed:
    raw = " ".join((text or "").split())[:MAX_LENGTH]
    words = _WORD.findall(raw.lower())
    prefix = "*" in raw
    normalised = " ".join(raw.replace('"', " ").replace("*", " ").split()).lower()
    exact = " ".join(words)
    digits = raw.strip().lstrip("#")
    return Parsed(
        raw=raw, exact=exact, words=words, prefix=prefix, terms=prefix_tsquery(raw) if prefix else raw,
        normalised=normalised, number=int(digits) if digits.isdigit() and len(digits) < 12 else None,
        names=len(normalised) >= 3 and not prefix and _trigram_word(words),
        model_names=len(exact) >= 3 and not prefix and _trigram_word(words),
    )


def _trigram_word(words: list[str]) -> bool:
    """Whether a pg_trgm index can narrow a ``%…%`` match of these words."""
    return any(len(word) >= 2 for word in words)


def _lexeme(word: str, prefix: bool) -> str:
    return f"'{word}'" + (":*" if prefix else "")


def prefix_tsquery(raw: str) -> str:
    """A ``to_tsquery`` string from ``raw``: every term ANDed; a quoted phrase's
    words joined by ``<->``; ``word*`` a prefix. Only ``\\w`` runs are kept and
    each is single-quoted, so the result is always valid tsquery syntax."""
    parts = []
    for phrase, term in _TERM.findall(raw.lower()):
        if phrase:
            words = _WORD.findall(phrase)
            if words:
                parts.append("(" + " <-> ".join(_lexeme(w, False) for w in words) + ")")
            continue
        words = _WORD.findall(term)
        if not words:
            continue
        starred = term.endswith("*")
        # "gpt-4*": the last word carries the star; all must match.
        parts.extend(_lexeme(w, starred and i == len(words) - 1) for i, w in enumerate(words))
    return " & ".join(parts)


class LiteralQuery(SearchQuery):
    """A tsquery given as tsquery text (``'a b' & 'c d'``), cast as it is: the
    lexemes were normalised already (the phrase pairs, search.selectors)."""

    def as_sql(self, compiler, connection, **extra):
        return "%s::tsquery", [self.source_expressions[0].value]


def tsquery_text(lexemes) -> str:
    """Lexemes ANDed as tsquery text, each quoted (a quote doubled, a backslash
    escaped), whatever they contain."""
    return " & ".join("'" + x.replace("\\", "\\\\").replace("'", "''") + "'" for x in lexemes)
