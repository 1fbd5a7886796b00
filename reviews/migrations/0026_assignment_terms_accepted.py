from django.db import migrations, models

# PostgreSQL keeps Assignment.terms_accepted: whether the reviewer holds an
# acceptance of the review's current terms version. The BEFORE trigger on
# every write of an assignment (0012, 0022) now takes it too; an acceptance
# written or deleted, and a review's new terms version, set it on the
# assignments they concern. Other databases leave it false and the dashboard
# asks the acceptances instead.
TERMS_OF = """EXISTS (SELECT 1 FROM reviews_termsacceptance t JOIN reviews_review r ON r.id = t.review_id
                 WHERE t.review_id = {review} AND t.user_id = {user} AND t.version = r.access_terms_version)"""

FORWARD = f"""
CREATE OR REPLACE FUNCTION reviews_assignment_take_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.window_end, r.status INTO NEW.review_window_end, NEW.review_status
    FROM reviews_review r WHERE r.id = NEW.review_id;
  NEW.terms_accepted := {TERMS_OF.format(review="NEW.review_id", user="NEW.reviewer_id")};
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION reviews_assignment_follow_acceptance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE reviews_assignment SET terms_accepted = {TERMS_OF.format(review="OLD.review_id", user="OLD.user_id")}
     WHERE review_id = OLD.review_id AND reviewer_id = OLD.user_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE reviews_assignment SET terms_accepted = {TERMS_OF.format(review="NEW.review_id", user="NEW.user_id")}
     WHERE review_id = NEW.review_id AND reviewer_id = NEW.user_id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER reviews_assignment_follow_acceptance AFTER INSERT OR DELETE OR UPDATE ON reviews_termsacceptance
  FOR EACH ROW EXECUTE FUNCTION reviews_assignment_follow_acceptance();

CREATE OR REPLACE FUNCTION reviews_assignment_follow_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reviews_assignment a SET terms_accepted = {TERMS_OF.format(review="a.review_id", user="a.reviewer_id")}
   WHERE a.review_id = NEW.id;
  RETURN NULL;
END $$;

CREATE TRIGGER reviews_assignment_follow_terms AFTER UPDATE OF access_terms_version ON reviews_review
  FOR EACH ROW WHEN (OLD.access_terms_version IS DISTINCT FROM NEW.access_terms_version)
  EXECUTE FUNCTION reviews_assignment_follow_terms();

ALTER TABLE reviews_assignment DISABLE TRIGGER reviews_assignment_deadline;
UPDATE reviews_assignment a SET terms_accepted = true
  FROM reviews_review r, reviews_termsacceptance t
 WHERE r.id = a.review_id AND t.review_id = a.review_id AND t.user_id = a.reviewer_id AND t.version = r.access_terms_version;
ALTER TABLE reviews_assignment ENABLE TRIGGER reviews_assignment_deadline;
"""

# 0022's function, restored.
BACKWARD = """
DROP TRIGGER IF EXISTS reviews_assignment_follow_acceptance ON reviews_termsacceptance;
DROP TRIGGER IF EXISTS reviews_assignment_follow_terms ON reviews_review;
DROP FUNCTION IF EXISTS reviews_assignment_follow_acceptance(), reviews_assignment_follow_terms();
CREATE OR REPLACE FUNCTION reviews_assignment_take_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.window_end, r.status INTO NEW.review_window_end, NEW.review_status
    FROM reviews_review r WHERE r.id = NEW.review_id;
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
        ('reviews', '0025_participation_section_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='assignment',
            name='terms_accepted',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name='historicalassignment',
            name='terms_accepted',
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(forward, backward),
    ]
