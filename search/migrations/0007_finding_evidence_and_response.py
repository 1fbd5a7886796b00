"""A finding is found by its evidence and by the company's response rationale
too, not only its title and description: both are shown to everyone who sees
the finding (findings/finding_detail.html), so searching them shows nobody
anything new. They weigh least (C): a match in the title or description
ranks first.

PostgreSQL 15 cannot change a generated column's expression, so the vector
and its phrase pairs (0002) are dropped and added again, and with them the
three indexes on them (0001, 0002, 0004). The table is rewritten under an
exclusive lock: 24 s at 100,000 findings (bench scale), while findings
wait to be read or written (README, Upgrading).
"""

from django.db import migrations

BEFORE = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, left(coalesce(description, ''), 200000)), 'B')"
)
AFTER = (
    BEFORE + " || setweight(to_tsvector('english'::regconfig, left(coalesce(evidence, ''), 200000)), 'C') || "
    "setweight(to_tsvector('english'::regconfig, left(coalesce(response_rationale, ''), 200000)), 'C')"
)


def _vectors(expression: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in (
            "ALTER TABLE findings_finding DROP COLUMN IF EXISTS search_pairs",
            "ALTER TABLE findings_finding DROP COLUMN IF EXISTS search_vector",
            f"ALTER TABLE findings_finding ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({expression}) STORED",
            f"ALTER TABLE findings_finding ADD COLUMN search_pairs tsvector GENERATED ALWAYS AS (search_pairs({expression})) STORED",
            "CREATE INDEX search_finding_vector_idx ON findings_finding USING gin (search_vector)",
            "CREATE INDEX search_finding_pairs_idx ON findings_finding USING gin (search_pairs)",
            "CREATE INDEX search_finding_agency_vector_idx ON findings_finding USING gin (agency_id, search_vector)",
        ):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0006_saved_searches"), ("findings", "0008_created_index")]

    operations = [migrations.RunPython(_vectors(AFTER), _vectors(BEFORE), elidable=False)]
