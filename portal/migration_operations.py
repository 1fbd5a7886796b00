"""Migration operations shared by the apps' migrations."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations
from django.db.models import OrderBy


def _orders_nulls(index) -> bool:
    """An index with NULLS FIRST/LAST, which SQLite cannot create."""
    return any(isinstance(e, OrderBy) and (e.nulls_first or e.nulls_last) for e in index.expressions)


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """``CREATE INDEX CONCURRENTLY`` on PostgreSQL, so a big table goes on being
    written while the index builds (the migration must be ``atomic = False``);
    a plain ``CREATE INDEX`` elsewhere (the SQLite demo), except for an index
    ordered NULLS FIRST/LAST, which SQLite cannot express: the demo's small
    lists sort without it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        if not _orders_nulls(self.index):
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        if not _orders_nulls(self.index):
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RunSQLOnPostgres(migrations.RunSQL):
    """``RunSQL`` on PostgreSQL; nothing elsewhere (the SQLite demo), for what
    only PostgreSQL has: triggers, plpgsql functions, covering indexes, a
    column's storage. The SQL stays written out in the migration, as it was
    at that point in the schema's history."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
