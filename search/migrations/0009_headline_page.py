"""``search_headline_paged``: a snippet of a text (``ts_headline``) and the
page it is on, counted from the form feeds extraction puts between a PDF's
pages (``documents.extraction.PAGE_BREAK``). The page is of the first marked
word of the snippet's first fragment, found in the text it was cut from; it
is NULL when the text holds no page break (a text file, a one-page PDF, a
text extracted before page breaks were kept), when no word is marked (the
match lies past the part of a long text a snippet is cut from: its opening
is shown, on no page of the match) or the fragment is not found verbatim
(the parser replaced part of it). One function, so the headline is
made once for both: in PL/pgSQL, since a SQL function's subqueries were
flattened into its caller and ``ts_headline`` made once per reference (five
times: 29 ms a 60,000-character text, against 5 ms)."""

from django.db import migrations

from portal.migration_operations import RunSQLOnPostgres

FUNCTION = r"""
CREATE OR REPLACE FUNCTION search_headline_paged(
    config regconfig, body text, query tsquery, options text, start_sel text, stop_sel text, delimiter text
) RETURNS text[] LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
DECLARE
  headline text := ts_headline(config, body, query, options);
  fragment text;
  found integer;
  at integer;
BEGIN
  IF strpos(body, E'\f') = 0 THEN
    RETURN ARRAY[headline, NULL];
  END IF;
  fragment := split_part(headline, delimiter, 1);
  IF strpos(fragment, start_sel) = 0 THEN
    RETURN ARRAY[headline, NULL];  -- no word marked: the text's opening, the match lies past what is highlighted
  END IF;
  found := strpos(body, replace(replace(fragment, start_sel, ''), stop_sel, ''));
  IF found = 0 THEN
    RETURN ARRAY[headline, NULL];
  END IF;
  at := found + strpos(fragment, start_sel) - 1;
  RETURN ARRAY[headline, (at - length(replace(left(body, at - 1), E'\f', '')))::text];
END
$fn$
"""


class Migration(migrations.Migration):
    dependencies = [("search", "0008_finding_comment_vectors")]

    operations = [
        RunSQLOnPostgres(
            [FUNCTION],
            ["DROP FUNCTION IF EXISTS search_headline_paged(regconfig, text, tsquery, text, text, text, text)"],
            elidable=False,
        ),
    ]
