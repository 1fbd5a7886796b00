import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def copy_document_marking(apps, schema_editor):
    """Each existing version was handed over under its document's marking."""
    DocumentVersion = apps.get_model("documents", "DocumentVersion")
    Document = apps.get_model("documents", "Document")
    DocumentVersion.objects.filter(marking__isnull=True).update(
        marking=models.Subquery(Document.objects.filter(pk=models.OuterRef("document_id")).values("marking_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_document_purpose"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="documentversion",
            name="marking",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="versions", to="documents.handlingmarking"
            ),
        ),
        migrations.RunPython(copy_document_marking, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="documentversion",
            name="marking",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="versions", to="documents.handlingmarking"
            ),
        ),
        migrations.CreateModel(
            name="DocumentChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("changes", models.JSONField()),
                (
                    "version_number",
                    models.PositiveIntegerField(
                        blank=True, help_text="The version a marking change applied to (the current one at the time).", null=True
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="changes", to="documents.document"
                    ),
                ),
            ],
            options={"ordering": ["-at", "-id"]},
        ),
    ]
