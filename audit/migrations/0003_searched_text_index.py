"""The office's trail search (``audit.selectors.audit_event_list``: ``q``,
and the Actor, Organisation and Object fields) reads its text through one
pg_trgm index instead of a sequential scan of every event: one ``upper()``
of the action, the actor and their organisation, the target, the request id
and the details, the same expression the selector filters on
(``audit.selectors.SEARCHED_TEXT``). At a million events a search took
0.4–1 s. Built CONCURRENTLY: every view, download and search writes an
event, and they go on while it builds. SQLite (the embedded default) has no
such index and searches the columns as before.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_searched_text_trgm ON audit_auditevent USING gin "
    "((upper(action || ' ' || actor_label || ' ' || actor_organisation || ' ' || target_type || ' ' || target_label"
    " || ' ' || request_id || ' ' || (payload)::text)) gin_trgm_ops)"
)
DROP = "DROP INDEX CONCURRENTLY IF EXISTS audit_searched_text_trgm"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
        schema_editor.execute(CREATE, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
