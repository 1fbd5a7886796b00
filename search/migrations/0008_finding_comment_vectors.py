"""A finding is found by its comments too, each by whoever may read it
(``FindingComment.objects.on_side_of``: an internal comment stays within its
agency). The comments get a stored English vector and its phrase pairs
(0001, 0002), with GIN indexes built CONCURRENTLY: findings go on being
commented on while they build.

Adding a stored generated column rewrites ``findings_findingcomment`` under
an exclusive lock (comments wait to be read or written meanwhile; the
table is a small one beside the findings' own, README, Upgrading).
"""

from django.db import migrations

from portal.migration_operations import RunSQLOnPostgres

EXPRESSION = "to_tsvector('english'::regconfig, left(coalesce(body, ''), 200000))"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("search", "0007_finding_evidence_and_response"), ("findings", "0010_comment_created_index")]

    operations = [
        RunSQLOnPostgres(
            [
                "ALTER TABLE findings_findingcomment "
                f"ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({EXPRESSION}) STORED, "
                f"ADD COLUMN search_pairs tsvector GENERATED ALWAYS AS (search_pairs({EXPRESSION})) STORED",
            ],
            [
                "ALTER TABLE findings_findingcomment DROP COLUMN IF EXISTS search_pairs, DROP COLUMN IF EXISTS search_vector",
            ],
            elidable=False,
        ),
        RunSQLOnPostgres(
            ["CREATE INDEX CONCURRENTLY IF NOT EXISTS search_findingcomment_vector_idx ON findings_findingcomment USING gin (search_vector)"],
            ["DROP INDEX CONCURRENTLY IF EXISTS search_findingcomment_vector_idx"],
            elidable=False,
        ),
        RunSQLOnPostgres(
            ["CREATE INDEX CONCURRENTLY IF NOT EXISTS search_findingcomment_pairs_idx ON findings_findingcomment USING gin (search_pairs)"],
            ["DROP INDEX CONCURRENTLY IF EXISTS search_findingcomment_pairs_idx"],
            elidable=False,
        ),
    ]
