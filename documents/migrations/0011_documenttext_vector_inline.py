"""A text row keeps its search vector in the row (PostgreSQL only).

Under the default storage a vector of a few pages (~1.2 KB) was the column
moved out of line, so every match a search read (search.probe's candidates,
the phrase check) fetched it from the TOAST table: ~10 µs a row, 12 of the
13 ms of reading 1,000 candidates at bench scale. Kept in the row (MAIN:
compressed in place, moved out only when the row would not fit a page), the
same read takes 3–7 ms. The text and the pairs keep the default (EXTENDED:
compressed, and moved out of line before a MAIN column is): the text is read
only for the snippets of the ten or so rows shown, the pairs only through
their GIN index. (EXTERNAL for them measured the same at bench scale, but
stores a long text uncompressed.)

Only rows written from now on take the new layout; this migration rewrites
nothing (rewriting every vector in batches left the table twice its size and
a walk slower until compacted; rewriting the table locks it for minutes).
Existing rows move with ``VACUUM FULL documents_documenttext`` at a quiet
hour (README, "Upgrading").
"""

from django.db import migrations

from portal.migration_operations import RunSQLOnPostgres

FORWARD = "ALTER TABLE documents_documenttext ALTER COLUMN search_vector SET STORAGE MAIN"
BACKWARD = "ALTER TABLE documents_documenttext ALTER COLUMN search_vector SET STORAGE EXTENDED"



class Migration(migrations.Migration):
    dependencies = [("documents", "0010_created_index")]

    operations = [RunSQLOnPostgres(FORWARD, BACKWARD)]
