from django.db import migrations

CRITERIA = [
    ("Access instructions", "How the agencies reach the model, with working credentials.", True),
    ("Model card", "Intended use, limitations and training overview.", True),
    ("Evaluation results on standard cyber benchmarks", "Results on recognised offensive-security benchmarks (CTF suites and the like).", True),
    ("Safeguards documentation", "Refusal policies, classifiers and monitoring in place at release.", True),
    ("24/7 point of contact", "Someone the agencies can reach at any hour during the window.", True),
    ("Secure access method", "Access over an authenticated, encrypted channel with logging.", False),
]


def seed(apps, schema_editor):
    ReadinessCriterion = apps.get_model("readiness", "ReadinessCriterion")
    for position, (name, description, mandatory) in enumerate(CRITERIA):
        ReadinessCriterion.objects.get_or_create(
            name=name, defaults={"description": description, "mandatory": mandatory, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("readiness", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
