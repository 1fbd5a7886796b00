"""A text row names its version's review (copied; a document never changes
review), indexed: a search reads the texts on a user's reviews, or keeps the
matches on them, without joining version and document for each row."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    DocumentText = apps.get_model("documents", "DocumentText")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE documents_documenttext t SET review_id = d.review_id FROM documents_documentversion v "
            "JOIN documents_document d ON d.id = v.document_id WHERE v.id = t.version_id"
        )
        return
    for row in DocumentText.objects.select_related("version__document"):
        DocumentText.objects.filter(pk=row.pk).update(review_id=row.version.document.review_id)


class Migration(migrations.Migration):
    dependencies = [("documents", "0008_document_text_pairs"), ("reviews", "0016_alter_reviewagency_options_alter_reviewreach_options")]

    operations = [
        migrations.AddField(
            model_name="documenttext",
            name="review",
            field=models.ForeignKey(
                editable=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="reviews.review"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="documenttext",
            name="review",
            field=models.ForeignKey(
                editable=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="reviews.review"
            ),
        ),
    ]
