"""A user's reach fingerprint kept beside their count (search/probe.py).

A search of a user on thousands of reviews checks that the reach set it kept
in memory is still theirs by a fingerprint of their unexpired reach rows:
how many, the sum of the review ids and the sum of a 64-bit hash of each.
Computed from the rows, that was an index-only scan of every row (2 ms for
20,000 at bench scale, on every search and search page). The statement
triggers of 0020 now keep the two sums of the rows without expiry with
their count (``id_sum``, ``hash_sum``), so the fingerprint is those kept
sums plus the live ones of the user's unexpired expiring rows — as the
count already was. Compaction and the rebuild carry the sums; the rebuild
backfills them."""

from django.db import migrations, models

from portal.migration_operations import RunSQLOnPostgres

FORWARD = """
CREATE OR REPLACE FUNCTION reviews_reach_delta_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO reviews_reachdelta (user_id, delta, id_sum, hash_sum)
    SELECT user_id, count(*), sum(review_id), sum(hashint8extended(review_id, 7331)::numeric)
    FROM reach_new WHERE expires_at IS NULL GROUP BY user_id;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO reviews_reachdelta (user_id, delta, id_sum, hash_sum)
    SELECT user_id, -count(*), -sum(review_id), -sum(hashint8extended(review_id, 7331)::numeric)
    FROM reach_old WHERE expires_at IS NULL GROUP BY user_id;
  ELSE
    -- An update that keeps the count (one row's expiry set, another's cleared)
    -- still changes the sums: kept unless all three net to nothing.
    INSERT INTO reviews_reachdelta (user_id, delta, id_sum, hash_sum)
    SELECT user_id, sum(d), sum(d * review_id), sum(d * hashint8extended(review_id, 7331)::numeric) FROM (
      SELECT user_id, review_id, 1 AS d FROM reach_new WHERE expires_at IS NULL
      UNION ALL
      SELECT user_id, review_id, -1 FROM reach_old WHERE expires_at IS NULL
    ) x GROUP BY user_id
    HAVING sum(d) <> 0 OR sum(d * review_id) <> 0 OR sum(d * hashint8extended(review_id, 7331)::numeric) <> 0;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reviews_reach_delta_compact() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  folded integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('reviews_reach_delta_compact')) THEN
    RETURN -1;
  END IF;
  WITH many AS (
    SELECT user_id FROM reviews_reachdelta GROUP BY user_id
    HAVING count(*) > 1 OR (sum(delta) = 0 AND sum(id_sum) = 0 AND sum(hash_sum) = 0)
  ), gone AS (
    DELETE FROM reviews_reachdelta d USING many WHERE d.user_id = many.user_id
    RETURNING d.user_id, d.delta, d.id_sum, d.hash_sum
  ), kept AS (
    INSERT INTO reviews_reachdelta (user_id, delta, id_sum, hash_sum)
    SELECT user_id, sum(delta), sum(id_sum), sum(hash_sum) FROM gone GROUP BY user_id
    HAVING sum(delta) <> 0 OR sum(id_sum) <> 0 OR sum(hash_sum) <> 0
  )
  SELECT count(*) INTO folded FROM gone;
  RETURN folded;
END $$;

CREATE OR REPLACE FUNCTION reviews_reach_delta_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM reviews_reachdelta;
  INSERT INTO reviews_reachdelta (user_id, delta, id_sum, hash_sum)
    SELECT user_id, count(*), sum(review_id), sum(hashint8extended(review_id, 7331)::numeric)
    FROM reviews_reviewreach WHERE expires_at IS NULL GROUP BY user_id;
$$;

SELECT reviews_reach_delta_rebuild();
"""

# 0020's functions, which keep the count only.
BACKWARD = """
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

CREATE OR REPLACE FUNCTION reviews_reach_delta_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM reviews_reachdelta;
  INSERT INTO reviews_reachdelta (user_id, delta)
    SELECT user_id, count(*) FROM reviews_reviewreach WHERE expires_at IS NULL GROUP BY user_id;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("reviews", "0030_reach_user_terms_statistics")]

    operations = [
        migrations.AddField(
            model_name="reachdelta", name="id_sum", field=models.BigIntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name="reachdelta", name="hash_sum", field=models.DecimalField(db_default=0, decimal_places=0, max_digits=40),
        ),
        # Functions first, then the backfill (the rebuild): in the migration's one transaction.
        RunSQLOnPostgres(sql=[FORWARD], reverse_sql=[BACKWARD]),
    ]
