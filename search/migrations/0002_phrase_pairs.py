"""Adjacent-word pairs beside the vectors of questions, their messages and
findings, with GIN indexes: a quoted phrase is looked up in the pairs first
(``search_pairs``, documents/0008, explains why). Generated from the same
expression as each table's ``search_vector`` (a generated column cannot read
another), so PostgreSQL keeps them in step with every write."""

import importlib

from django.db import migrations

VECTORS = importlib.import_module("search.migrations.0001_search_vectors").VECTORS
TABLES = ("rfis_informationrequest", "rfis_rfimessage", "findings_finding")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, expression, index in VECTORS:
        if table in TABLES:
            schema_editor.execute(
                f"ALTER TABLE {table} ADD COLUMN search_pairs tsvector GENERATED ALWAYS AS (search_pairs({expression})) STORED"
            )
            schema_editor.execute(f"CREATE INDEX {index.replace('_vector_', '_pairs_')} ON {table} USING gin (search_pairs)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_pairs")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_vectors"), ("documents", "0008_document_text_pairs")]

    operations = [migrations.RunPython(forward, backward)]
