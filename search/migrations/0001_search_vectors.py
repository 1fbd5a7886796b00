"""Full-text search columns on the searchable tables (PostgreSQL only).

Each searchable row carries a stored, generated English ``tsvector``
(``search_vector``) with a GIN index, so PostgreSQL keeps it in step with
every write, whichever service makes it. A document version's extracted text
has its vector on ``documents_documenttext`` (set by the extraction service).
Names and file names also get pg_trgm indexes for substring matches. The
models do not declare these columns (SQLite, the embedded default, has no
tsvector); ``search.vectors.Vector`` reads them.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# (table, generated expression, GIN index name)
VECTORS = [
    (
        "companies_aimodel",
        "setweight(to_tsvector('english'::regconfig, coalesce(name, '') || ' ' || coalesce(version, '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, coalesce(capability_summary, '')), 'C')",
        "search_aimodel_vector_idx",
    ),
    (
        "documents_document",
        "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')",
        "search_document_vector_idx",
    ),
    (
        "rfis_informationrequest",
        "setweight(to_tsvector('english'::regconfig, coalesce(subject, '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, coalesce(question, '')), 'B')",
        "search_rfi_vector_idx",
    ),
    (
        "rfis_rfimessage",
        "to_tsvector('english'::regconfig, left(coalesce(body, ''), 200000))",
        "search_rfimessage_vector_idx",
    ),
    (
        "findings_finding",
        "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, left(coalesce(description, ''), 200000)), 'B')",
        "search_finding_vector_idx",
    ),
]
# On UPPER(column): the expression Django's ``icontains`` compares on PostgreSQL.
TRIGRAMS = [
    ("companies_aimodel", "name", "search_aimodel_name_trgm_idx"),
    ("documents_documentversion", "original_name", "search_version_name_trgm_idx"),
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, expression, index in VECTORS:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({expression}) STORED"
        )
        schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin (search_vector)")
    for table, column, index in TRIGRAMS:
        schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, index in TRIGRAMS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
    for table, expression, index in VECTORS:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0001_initial"),
        ("documents", "0006_document_text"),
        ("rfis", "0006_routing_and_faq"),
        ("findings", "0006_finding_evidence"),
    ]

    operations = [TrigramExtension(), migrations.RunPython(forward, backward)]
