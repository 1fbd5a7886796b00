from django.db import migrations, models

from portal.migration_operations import RunSQLOnPostgres


class Migration(migrations.Migration):
    """An evidence file's text is marked as such (its document's purpose,
    copied), and its vector and phrase pairs get partial GIN indexes of their
    own: search finds a finding by its evidence files' text without reading
    among every handed-over document's. The column has a constant default
    (PostgreSQL 11 and later add it without rewriting the table); the few
    evidence texts are then marked, and the indexes built CONCURRENTLY."""

    atomic = False

    dependencies = [("documents", "0012_activity_index")]

    operations = [
        migrations.AddField(
            model_name="documenttext", name="evidence", field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.RunSQL(
            "UPDATE documents_documenttext SET evidence = TRUE WHERE version_id IN ("
            "SELECT v.id FROM documents_documentversion v JOIN documents_document d ON d.id = v.document_id WHERE d.purpose = 'evidence')",
            migrations.RunSQL.noop,
        ),
        RunSQLOnPostgres(
            ["CREATE INDEX CONCURRENTLY IF NOT EXISTS documenttext_evidence_vector_idx ON documents_documenttext USING gin (search_vector) WHERE evidence"],
            ["DROP INDEX CONCURRENTLY IF EXISTS documenttext_evidence_vector_idx"],
        ),
        RunSQLOnPostgres(
            ["CREATE INDEX CONCURRENTLY IF NOT EXISTS documenttext_evidence_pairs_idx ON documents_documenttext USING gin (search_pairs) WHERE evidence"],
            ["DROP INDEX CONCURRENTLY IF EXISTS documenttext_evidence_pairs_idx"],
        ),
    ]
