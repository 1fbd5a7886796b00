from django.db import migrations, models

# PostgreSQL copies the review's status onto its assignments beside its
# deadline (0012): the same BEFORE trigger on every write of an assignment,
# and a review's change of status updates its assignments. Other databases
# leave it empty and the dashboard asks the review instead.
FORWARD = """
CREATE OR REPLACE FUNCTION reviews_assignment_take_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.window_end, r.status INTO NEW.review_window_end, NEW.review_status
    FROM reviews_review r WHERE r.id = NEW.review_id;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION reviews_assignment_follow_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reviews_assignment SET review_status = NEW.status WHERE review_id = NEW.id;
  RETURN NULL;
END $$;

CREATE TRIGGER reviews_assignment_follow_status AFTER UPDATE OF status ON reviews_review
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION reviews_assignment_follow_status();

UPDATE reviews_assignment a SET review_status = r.status FROM reviews_review r WHERE r.id = a.review_id;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS reviews_assignment_follow_status ON reviews_review;
DROP FUNCTION IF EXISTS reviews_assignment_follow_status();
CREATE OR REPLACE FUNCTION reviews_assignment_take_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.review_window_end := (SELECT r.window_end FROM reviews_review r WHERE r.id = NEW.review_id);
  RETURN NEW;
END $$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0021_review_reach_expiring_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='assignment',
            name='review_status',
            field=models.CharField(blank=True, default='', editable=False, max_length=20),
        ),
        migrations.AddField(
            model_name='historicalassignment',
            name='review_status',
            field=models.CharField(blank=True, default='', editable=False, max_length=20),
        ),
        migrations.RunPython(forward, backward),
    ]
