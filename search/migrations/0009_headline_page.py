"""``search_headline_paged``: a snippet of a text (``ts_headline``) and the
page it is on, counted from the form feeds extraction puts between a PDF's
pages (``documents.extraction.PAGE_BREAK``).

The snippet is cut from the text's first ``window_chars`` characters (a
compressed text is read only that far). When nothing is marked there and the
text is longer, it is cut again around the first place one of the query's
lexemes is written (case aside) past that: a match on page 80 of a long
report is shown, not the report's opening. The page is of the first marked
word of the snippet's first fragment, found in the text it was cut from; it
is NULL when the text holds no page break (a text file, a one-page PDF, a
text extracted before page breaks were kept), when no word is marked (the
lexeme is not written as such, a stem like "happi"; the opening is shown) or
the fragment is not found verbatim (the parser replaced part of it).

PL/pgSQL, so the headline is made once for both (a SQL function's subqueries
were flattened into its caller and ``ts_headline`` made once per reference:
29 ms a 60,000-character text, against 5 ms)."""

from django.db import migrations

from portal.migration_operations import RunSQLOnPostgres

FUNCTION = r"""
CREATE OR REPLACE FUNCTION search_headline_paged(
    config regconfig, body text, query tsquery, options text, start_sel text, stop_sel text, delimiter text, window_chars integer
) RETURNS text[] LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
DECLARE
  part text := left(body, window_chars);  -- a compressed text is read only this far
  headline text := ts_headline(config, part, query, options);
  fragment text := split_part(headline, delimiter, 1);
  skipped integer := 0;
  full_text text;
  first_seen integer;
  moved text;
  found integer;
  at integer;
BEGIN
  IF strpos(fragment, start_sel) = 0 AND length(part) = window_chars THEN
    -- Nothing marked in the opening of a longer text: cut again around the first
    -- place past it where one of the query's lexemes is written (case aside).
    full_text := body;
    -- Each lexeme as a literal pattern: every character but a letter or digit escaped
    -- (a backslash before any other character is that character), so no lexeme can
    -- make a pattern that fails.
    SELECT min(p) INTO first_seen FROM (
      SELECT regexp_instr(full_text, regexp_replace(m[1], '([^[:alnum:]])', '\\\1', 'g'),
                          greatest(window_chars - 100, 1), 1, 0, 'i') AS p
      FROM regexp_matches(query::text, '''([^'']+)''', 'g') AS m
    ) s WHERE p > 0;
    IF first_seen IS NOT NULL THEN
      moved := ts_headline(config, substr(full_text, first_seen - window_chars / 4, window_chars), query, options);
      IF strpos(split_part(moved, delimiter, 1), start_sel) > 0 THEN
        skipped := first_seen - window_chars / 4 - 1;
        part := substr(full_text, skipped + 1, window_chars);
        headline := moved;
        fragment := split_part(moved, delimiter, 1);
      END IF;
    END IF;
  END IF;
  IF strpos(fragment, start_sel) = 0 THEN
    RETURN ARRAY[headline, NULL];  -- no word marked: the text's opening, on no page of the match
  END IF;
  found := strpos(part, replace(replace(fragment, start_sel, ''), stop_sel, ''));
  IF found = 0 THEN
    RETURN ARRAY[headline, NULL];
  END IF;
  at := skipped + found + strpos(fragment, start_sel) - 1;
  IF skipped = 0 THEN
    IF strpos(part, E'\f') = 0 THEN
      RETURN ARRAY[headline, NULL];
    END IF;
    RETURN ARRAY[headline, (at - length(replace(left(part, at - 1), E'\f', '')))::text];
  END IF;
  IF strpos(full_text, E'\f') = 0 THEN
    RETURN ARRAY[headline, NULL];
  END IF;
  RETURN ARRAY[headline, (at - length(replace(left(full_text, at - 1), E'\f', '')))::text];
END
$fn$
"""


class Migration(migrations.Migration):
    dependencies = [("search", "0008_finding_comment_vectors")]

    operations = [
        RunSQLOnPostgres(
            [FUNCTION],
            ["DROP FUNCTION IF EXISTS search_headline_paged(regconfig, text, tsquery, text, text, text, text, integer)"],
            elidable=False,
        ),
    ]
