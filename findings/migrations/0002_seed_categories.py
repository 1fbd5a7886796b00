from django.db import migrations

CATEGORIES = [
    "Vulnerability discovery",
    "Exploit development",
    "Malware generation",
    "Network intrusion planning",
    "Critical-infrastructure attack",
    "Safeguard bypass",
]


def seed(apps, schema_editor):
    FindingCategory = apps.get_model("findings", "FindingCategory")
    for position, name in enumerate(CATEGORIES):
        FindingCategory.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("findings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
