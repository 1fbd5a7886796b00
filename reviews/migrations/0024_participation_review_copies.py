from django.db import migrations, models

# PostgreSQL copies the review's status and dates onto its participations
# (ReviewAgency), as 0012/0022 do onto assignments: a BEFORE trigger on every
# write of a participation that names the review or the copies (so a stale
# save is corrected), and an AFTER trigger on the review following changes of
# its status and dates. Other databases leave them empty and the lead's
# dashboard asks the review instead (dashboard/inbox.py).
FORWARD = """
CREATE OR REPLACE FUNCTION reviews_participation_take_review() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.status, r.window_start, r.window_end, r.submitted_at
    INTO NEW.review_status, NEW.review_window_start, NEW.review_window_end, NEW.review_submitted_at
    FROM reviews_review r WHERE r.id = NEW.review_id;
  RETURN NEW;
END $$;

CREATE TRIGGER reviews_participation_take_review
  BEFORE INSERT OR UPDATE OF review_id, review_status, review_window_start, review_window_end, review_submitted_at
  ON reviews_reviewagency FOR EACH ROW EXECUTE FUNCTION reviews_participation_take_review();

CREATE OR REPLACE FUNCTION reviews_participation_follow_review() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reviews_reviewagency
     SET review_status = NEW.status, review_window_start = NEW.window_start,
         review_window_end = NEW.window_end, review_submitted_at = NEW.submitted_at
   WHERE review_id = NEW.id;
  RETURN NULL;
END $$;

CREATE TRIGGER reviews_participation_follow_review
  AFTER UPDATE OF status, window_start, window_end, submitted_at ON reviews_review
  FOR EACH ROW WHEN (
    OLD.status IS DISTINCT FROM NEW.status OR OLD.window_start IS DISTINCT FROM NEW.window_start
    OR OLD.window_end IS DISTINCT FROM NEW.window_end OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at)
  EXECUTE FUNCTION reviews_participation_follow_review();

ALTER TABLE reviews_reviewagency DISABLE TRIGGER reviews_participation_take_review;
UPDATE reviews_reviewagency p
   SET review_status = r.status, review_window_start = r.window_start,
       review_window_end = r.window_end, review_submitted_at = r.submitted_at
  FROM reviews_review r WHERE r.id = p.review_id;
ALTER TABLE reviews_reviewagency ENABLE TRIGGER reviews_participation_take_review;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS reviews_participation_follow_review ON reviews_review;
DROP TRIGGER IF EXISTS reviews_participation_take_review ON reviews_reviewagency;
DROP FUNCTION IF EXISTS reviews_participation_follow_review(), reviews_participation_take_review();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0023_assignment_work_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='reviewagency',
            name='review_status',
            field=models.CharField(blank=True, default='', editable=False, max_length=20),
        ),
        migrations.AddField(
            model_name='reviewagency',
            name='review_submitted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='reviewagency',
            name='review_window_end',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='reviewagency',
            name='review_window_start',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
