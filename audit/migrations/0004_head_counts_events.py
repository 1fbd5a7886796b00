"""The chain head counts the events it chains (``AuditHead.events``), moved
with every append under the lock each append already takes; the count of
the events already written is taken here, with the head locked so no append
slips between the count and the number."""

from django.db import migrations, models


def count_events(apps, schema_editor):
    AuditHead = apps.get_model("audit", "AuditHead")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        head.events = AuditEvent.objects.count()
        head.save(update_fields=["events"])


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_searched_text_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='audithead',
            name='events',
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(count_events, migrations.RunPython.noop, elidable=False),
    ]
