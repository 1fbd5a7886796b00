"""``lower()`` indexes on what an exact match compares (PostgreSQL only):
a document's and a finding's title, a question's subject, a model's name and
its name and version. ``search.selectors.common.exact_branch`` reads a search's
exact matches off them before anything else, so an exact match leads the
results however many other rows match (past the CAP + 1 the other branches
stop at, it was often not among them). Each expression is the one Django
writes for ``Lower(…)`` of the field (``Lower(Concat(name, " ", version))``
for the model), so the planner can use it; a plan-shape test checks that.

Plain ``CREATE INDEX``: writes to these tables wait while it runs (about a
second for 300,000 documents on the bench machine)."""

from django.db import migrations

# (table, expression, index name)
INDEXES = [
    ("documents_document", "lower(title)", "search_document_title_lower_idx"),
    ("rfis_informationrequest", "lower(subject)", "search_rfi_subject_lower_idx"),
    ("findings_finding", "lower(title)", "search_finding_title_lower_idx"),
    ("companies_aimodel", "lower(name)", "search_aimodel_name_lower_idx"),
    (
        "companies_aimodel",
        "lower(COALESCE(name, '') || COALESCE(' ' || COALESCE(version, ''), ''))",
        "search_aimodel_name_version_lower_idx",
    ),
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, expression, index in INDEXES:
        schema_editor.execute(f"CREATE INDEX {index} ON {table} (({expression}))")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _expression, index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_phrase_pairs")]

    operations = [migrations.RunPython(forward, backward)]
