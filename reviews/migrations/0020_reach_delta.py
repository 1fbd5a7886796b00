import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# PostgreSQL keeps a user's count of reach rows without expiry as ReachDelta
# rows: statement triggers with transition tables on reviews_reviewreach
# INSERT one row per user a statement changes (+n, -n), never update one, so
# no grant waits on another transaction's counter (a counter row per user,
# updated in place, was held by every grant to that user until commit, and two
# transactions granting to the same people in another order could deadlock).
# The rows are summed when read and folded into one row per user by
# reviews_reach_delta_compact() (reviews.tasks.compact_reach_counts, beat).
FORWARD = """
CREATE OR REPLACE FUNCTION reviews_reach_delta_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO reviews_reachdelta (user_id, delta)
    SELECT user_id, count(*) FROM reach_new WHERE expires_at IS NULL GROUP BY user_id;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO reviews_reachdelta (user_id, delta)
    SELECT user_id, -count(*) FROM reach_old WHERE expires_at IS NULL GROUP BY user_id;
  ELSE
    INSERT INTO reviews_reachdelta (user_id, delta)
    SELECT user_id, sum(d) FROM (
      SELECT user_id, 1 AS d FROM reach_new WHERE expires_at IS NULL
      UNION ALL
      SELECT user_id, -1 FROM reach_old WHERE expires_at IS NULL
    ) x GROUP BY user_id HAVING sum(d) <> 0;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reviews_reach_delta_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reviews_reachdelta;
  RETURN NULL;
END $$;

CREATE TRIGGER reviews_reach_delta_insert AFTER INSERT ON reviews_reviewreach
  REFERENCING NEW TABLE AS reach_new FOR EACH STATEMENT EXECUTE FUNCTION reviews_reach_delta_apply();
CREATE TRIGGER reviews_reach_delta_delete AFTER DELETE ON reviews_reviewreach
  REFERENCING OLD TABLE AS reach_old FOR EACH STATEMENT EXECUTE FUNCTION reviews_reach_delta_apply();
CREATE TRIGGER reviews_reach_delta_update AFTER UPDATE ON reviews_reviewreach
  REFERENCING OLD TABLE AS reach_old NEW TABLE AS reach_new FOR EACH STATEMENT EXECUTE FUNCTION reviews_reach_delta_apply();
CREATE TRIGGER reviews_reach_delta_truncate AFTER TRUNCATE ON reviews_reviewreach
  FOR EACH STATEMENT EXECUTE FUNCTION reviews_reach_delta_emptied();

-- Folds each user's rows into one (a user at 0 keeps none). Only the rows the
-- statement sees are deleted and summed: a grant committing meanwhile adds
-- rows this leaves alone, and readers see the rows before or after, the same
-- sum. One compaction at a time (the advisory lock); another returns -1.
CREATE OR REPLACE FUNCTION reviews_reach_delta_compact() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  folded integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('reviews_reach_delta_compact')) THEN
    RETURN -1;
  END IF;
  WITH many AS (
    SELECT user_id FROM reviews_reachdelta GROUP BY user_id HAVING count(*) > 1 OR sum(delta) = 0
  ), gone AS (
    DELETE FROM reviews_reachdelta d USING many WHERE d.user_id = many.user_id RETURNING d.user_id, d.delta
  ), kept AS (
    INSERT INTO reviews_reachdelta (user_id, delta)
    SELECT user_id, sum(delta) FROM gone GROUP BY user_id HAVING sum(delta) <> 0
  )
  SELECT count(*) INTO folded FROM gone;
  RETURN folded;
END $$;

-- The counts from the reach rows, set-based: the backfill below, and a repair.
CREATE OR REPLACE FUNCTION reviews_reach_delta_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM reviews_reachdelta;
  INSERT INTO reviews_reachdelta (user_id, delta)
    SELECT user_id, count(*) FROM reviews_reviewreach WHERE expires_at IS NULL GROUP BY user_id;
$$;

SELECT reviews_reach_delta_rebuild();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS reviews_reach_delta_insert ON reviews_reviewreach;
DROP TRIGGER IF EXISTS reviews_reach_delta_delete ON reviews_reviewreach;
DROP TRIGGER IF EXISTS reviews_reach_delta_update ON reviews_reviewreach;
DROP TRIGGER IF EXISTS reviews_reach_delta_truncate ON reviews_reviewreach;
DROP FUNCTION IF EXISTS reviews_reach_delta_apply(), reviews_reach_delta_emptied(), reviews_reach_delta_compact(),
  reviews_reach_delta_rebuild();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0019_review_total'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReachDelta',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('user', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('delta', models.IntegerField()),
            ],
            options={
                'indexes': [models.Index(fields=['user'], include=['delta'], name='reach_delta_user_idx')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
