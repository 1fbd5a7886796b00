"""A multi-page text keeps a vector per page (PostgreSQL only).

Find in one document (``search.selectors.within``) lists the pages that hold
the words. Without these it parsed every page's words at each find (~1 ms a
page: 65-95 ms for a dense 100-page report, 220-320 ms at the extraction's
limits); with them a page is matched against its stored vector and only the
pages shown are parsed again, for their headlines. The extraction fills the
column (``documents.texts._index``); a row without it (extracted before this
version) is matched as before, page by page — the same pages, only slower —
so nothing is rewritten now. The model does not declare it (SQLite,
the embedded default, has no tsvector).
"""

from django.db import migrations

from portal.migration_operations import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("documents", "0013_documenttext_evidence")]

    operations = [
        RunSQLOnPostgres(
            "ALTER TABLE documents_documenttext ADD COLUMN page_vectors tsvector[]",
            "ALTER TABLE documents_documenttext DROP COLUMN page_vectors",
        ),
    ]
