"""Word pairs of a version's text, so a quoted phrase is found from an index.

PostgreSQL finds the rows holding every word of a phrase from the GIN index
and then re-reads each one's positions; for a phrase of common words that
rarely stand together that is most of the table (2 s on 300,000 texts:
bench/search.py). ``search_pairs(tsvector)`` turns a vector into a vector
of its adjacent-word pairs ("red team" for red at n and team at n + 1); a
phrase's pairs, looked up in a GIN index on that column, leave few rows to
re-check. The phrase itself is still matched exactly by ``search_vector``:
the pairs only narrow the rows. Positions past 16,383 (where PostgreSQL
stops counting) and pairs longer than 40 characters are left out, which
also keeps the pair vector under a tsvector's 1 MiB.
"""

import django.contrib.postgres.search
from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION search_pairs(v tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme)), ''::tsvector)
  FROM (SELECT u.lexeme, p FROM unnest(v) AS u, unnest(u.positions) AS p) AS a
  JOIN (SELECT u.lexeme, p FROM unnest(v) AS u, unnest(u.positions) AS p) AS b ON b.p = a.p + 1
  WHERE a.p < 16383 AND length(a.lexeme) + length(b.lexeme) < 40
$$
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "UPDATE documents_documenttext SET search_pairs = search_pairs(search_vector) WHERE search_vector IS NOT NULL"
    )
    schema_editor.execute("CREATE INDEX documenttext_pairs_idx ON documents_documenttext USING gin (search_pairs)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS documenttext_pairs_idx")


class Migration(migrations.Migration):
    dependencies = [("documents", "0007_alter_documentaccess_options")]

    operations = [
        migrations.AddField(
            model_name="documenttext",
            name="search_pairs",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
