from django.db import migrations

DEFAULTS = [
    {
        "name": "Proprietary — pre-release",
        "short_label": "PROPRIETARY // PRE-RELEASE",
        "description": "Proprietary pre-release material of the submitting company. Use only for this review.",
        "downloads_allowed": True,
        "watermark_pdf": False,
        "is_default": True,
        "ordering": 10,
    },
    {
        "name": "Controlled Unclassified Information",
        "short_label": "CUI // PROPIN",
        "description": "Controlled Unclassified Information. Downloaded PDFs carry the reader's name, organisation, "
        "the time and the document's hash on every page.",
        "downloads_allowed": True,
        "watermark_pdf": True,
        "is_default": False,
        "ordering": 20,
    },
]


def seed(apps, schema_editor):
    HandlingMarking = apps.get_model("documents", "HandlingMarking")
    for values in DEFAULTS:
        HandlingMarking.objects.get_or_create(name=values["name"], defaults=values)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
