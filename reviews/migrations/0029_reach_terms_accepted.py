"""PostgreSQL keeps ReviewReach.terms_accepted: whether the user holds an
acceptance of the review's current access terms version. A material read
(documents, questions, findings, checklist items) of an agency user then asks
the terms gate inside the reach semi-join it has anyway, instead of a second
semi-join over the acceptances and the reviews: PostgreSQL plans a search's
documents in about half the time (bench/RESULTS.md, 2026-12-05).

Kept in the same transaction as what changes it, as Assignment.terms_accepted
is (0026):

* a reach row takes it when it is written (BEFORE INSERT: a grant, a group
  membership, reviews_reach_rebuild());
* an acceptance written or deleted sets it on that user's row of that review;
* a review's new terms version sets it on every reach row of the review.

``reviews.services.terms_accept`` locks the review row before it reads the
version it records, as ``terms_update`` does before it raises it: an
acceptance and a new version of the same review never interleave, so neither
trigger reads the other's half-done state.

The unique (user, review) index also carries the flag (0028 carried the
expiry), so the semi-join stays an index-only scan; the table is locked for
writes while it is rebuilt (the whole migration: 4-5 s for ~950,000 reach
rows and 20,000 acceptances at bench scale; README, Upgrading). Other
databases keep no reach rows and ask the acceptances (reviews.querysets.terms_gate).
"""

from django.db import migrations, models

from portal.migration_operations import RunSQLOnPostgres

TERMS_OF = """EXISTS (SELECT 1 FROM reviews_termsacceptance t JOIN reviews_review r ON r.id = t.review_id
                 WHERE t.review_id = {review} AND t.user_id = {user} AND t.version = r.access_terms_version)"""

FORWARD = f"""
CREATE OR REPLACE FUNCTION reviews_reach_take_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.terms_accepted := {TERMS_OF.format(review="NEW.review_id", user="NEW.user_id")};
  RETURN NEW;
END $$;
CREATE TRIGGER reviews_reach_take_terms BEFORE INSERT OR UPDATE OF user_id, review_id ON reviews_reviewreach
  FOR EACH ROW EXECUTE FUNCTION reviews_reach_take_terms();

CREATE OR REPLACE FUNCTION reviews_reach_follow_acceptance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE reviews_reviewreach SET terms_accepted = {TERMS_OF.format(review="OLD.review_id", user="OLD.user_id")}
     WHERE review_id = OLD.review_id AND user_id = OLD.user_id
       AND terms_accepted IS DISTINCT FROM {TERMS_OF.format(review="OLD.review_id", user="OLD.user_id")};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE reviews_reviewreach SET terms_accepted = {TERMS_OF.format(review="NEW.review_id", user="NEW.user_id")}
     WHERE review_id = NEW.review_id AND user_id = NEW.user_id
       AND terms_accepted IS DISTINCT FROM {TERMS_OF.format(review="NEW.review_id", user="NEW.user_id")};
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER reviews_reach_follow_acceptance AFTER INSERT OR DELETE OR UPDATE ON reviews_termsacceptance
  FOR EACH ROW EXECUTE FUNCTION reviews_reach_follow_acceptance();

CREATE OR REPLACE FUNCTION reviews_reach_follow_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reviews_reviewreach x SET terms_accepted = {TERMS_OF.format(review="x.review_id", user="x.user_id")}
   WHERE x.review_id = NEW.id
     AND x.terms_accepted IS DISTINCT FROM {TERMS_OF.format(review="x.review_id", user="x.user_id")};
  RETURN NULL;
END $$;
CREATE TRIGGER reviews_reach_follow_terms AFTER UPDATE OF access_terms_version ON reviews_review
  FOR EACH ROW WHEN (OLD.access_terms_version IS DISTINCT FROM NEW.access_terms_version)
  EXECUTE FUNCTION reviews_reach_follow_terms();

UPDATE reviews_reviewreach x SET terms_accepted = true
  FROM reviews_review r, reviews_termsacceptance t
 WHERE r.id = x.review_id AND t.review_id = x.review_id AND t.user_id = x.user_id AND t.version = r.access_terms_version;

CREATE UNIQUE INDEX review_reach_unique_terms ON reviews_reviewreach (user_id, review_id) INCLUDE (expires_at, terms_accepted);
ALTER TABLE reviews_reviewreach DROP CONSTRAINT review_reach_unique;
ALTER TABLE reviews_reviewreach ADD CONSTRAINT review_reach_unique UNIQUE USING INDEX review_reach_unique_terms;
"""

# 0028's index, and no triggers (the column goes with the field).
BACKWARD = """
DROP TRIGGER IF EXISTS reviews_reach_take_terms ON reviews_reviewreach;
DROP TRIGGER IF EXISTS reviews_reach_follow_acceptance ON reviews_termsacceptance;
DROP TRIGGER IF EXISTS reviews_reach_follow_terms ON reviews_review;
DROP FUNCTION IF EXISTS reviews_reach_take_terms(), reviews_reach_follow_acceptance(), reviews_reach_follow_terms();
CREATE UNIQUE INDEX review_reach_unique_expiry ON reviews_reviewreach (user_id, review_id) INCLUDE (expires_at);
ALTER TABLE reviews_reviewreach DROP CONSTRAINT review_reach_unique;
ALTER TABLE reviews_reviewreach ADD CONSTRAINT review_reach_unique UNIQUE USING INDEX review_reach_unique_expiry;
"""


def add_column(apps, schema_editor):
    """The column itself, written out: Django's SQLite schema editor would
    remake the reach table for a NOT NULL column and recreate every index of
    the model's state, among them the NULLS LAST one SQLite cannot express
    (reviews/0015 builds it on PostgreSQL only). Both databases add a column
    with a constant default in place."""
    false = "false" if schema_editor.connection.vendor == "postgresql" else "0"
    schema_editor.execute(f"ALTER TABLE reviews_reviewreach ADD COLUMN terms_accepted boolean DEFAULT {false} NOT NULL")


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE reviews_reviewreach DROP COLUMN terms_accepted")


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0028_reach_unique_includes_expiry"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="reviewreach",
                    name="terms_accepted",
                    field=models.BooleanField(db_default=False, default=False, editable=False),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        RunSQLOnPostgres(FORWARD, BACKWARD),
    ]
