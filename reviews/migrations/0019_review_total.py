from django.db import migrations, models

# PostgreSQL keeps ReviewTotal: statement triggers with transition tables on
# reviews, one upsert of the row per statement that adds or removes reviews
# (none for a statement that changes nothing). The row is taken once per
# creating transaction, right after the review's insert (review_create
# inserts first), so concurrent creations queue on it and never cross.
FORWARD = """
CREATE OR REPLACE FUNCTION reviews_review_total_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO reviews_reviewtotal AS t (id, reviews) SELECT 1, count(*) FROM review_new HAVING count(*) > 0
    ON CONFLICT (id) DO UPDATE SET reviews = t.reviews + EXCLUDED.reviews;
  ELSE
    INSERT INTO reviews_reviewtotal AS t (id, reviews) SELECT 1, -count(*) FROM review_old HAVING count(*) > 0
    ON CONFLICT (id) DO UPDATE SET reviews = t.reviews + EXCLUDED.reviews;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reviews_review_total_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reviews_reviewtotal;
  RETURN NULL;
END $$;

CREATE TRIGGER reviews_review_total_insert AFTER INSERT ON reviews_review
  REFERENCING NEW TABLE AS review_new FOR EACH STATEMENT EXECUTE FUNCTION reviews_review_total_apply();
CREATE TRIGGER reviews_review_total_delete AFTER DELETE ON reviews_review
  REFERENCING OLD TABLE AS review_old FOR EACH STATEMENT EXECUTE FUNCTION reviews_review_total_apply();
CREATE TRIGGER reviews_review_total_truncate AFTER TRUNCATE ON reviews_review
  FOR EACH STATEMENT EXECUTE FUNCTION reviews_review_total_emptied();

-- The total from the rows, set-based: the backfill below, and a repair.
CREATE OR REPLACE FUNCTION reviews_review_total_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM reviews_reviewtotal;
  INSERT INTO reviews_reviewtotal (id, reviews) SELECT 1, count(*) FROM reviews_review;
$$;

SELECT reviews_review_total_rebuild();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS reviews_review_total_insert ON reviews_review;
DROP TRIGGER IF EXISTS reviews_review_total_delete ON reviews_review;
DROP TRIGGER IF EXISTS reviews_review_total_truncate ON reviews_review;
DROP FUNCTION IF EXISTS reviews_review_total_apply(), reviews_review_total_emptied(), reviews_review_total_rebuild();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0018_participation_active_assignments'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReviewTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reviews', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddConstraint(
            model_name='reviewtotal',
            constraint=models.CheckConstraint(condition=models.Q(('id', 1)), name='review_total_one_row'),
        ),
        migrations.RunPython(forward, backward),
    ]
