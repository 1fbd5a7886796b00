"""GIN indexes on (agency, vector) of questions and findings (PostgreSQL
only; btree_gin for the agency's id), for a search narrowed to an agency
(``search.selectors.material._scoped_material``).

With the agency's own btree index and the vector's GIN index apart,
PostgreSQL read both in full and intersected them (a BitmapAnd): for a
common word, 31,782 questions' entries and the agency's 10,000 rows, to keep
287 (4-6 ms at bench scale). One index on both keys hands over the rows
holding both (~1 ms). The filter compares the agency as bigint, the
column's type: btree_gin answers only a comparison of the same type.

Plain ``CREATE INDEX``: writes to these tables wait while it runs (about
three seconds for 200,000 questions on the bench machine)."""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

# (table, index name)
INDEXES = [
    ("rfis_informationrequest", "search_rfi_agency_vector_idx"),
    ("findings_finding", "search_finding_agency_vector_idx"),
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, index in INDEXES:
        schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin (agency_id, search_vector)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("search", "0003_exact_names")]

    operations = [BtreeGinExtension(), migrations.RunPython(forward, backward)]
