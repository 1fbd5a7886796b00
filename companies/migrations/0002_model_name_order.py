from django.db import migrations, models

from portal.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    """The models page's order: built CONCURRENTLY, so registering models goes
    on while it builds."""

    atomic = False

    dependencies = [
        ('companies', '0001_initial'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='aimodel',
            index=models.Index(fields=['name', 'version', 'id'], name='aimodel_name_idx'),
        ),
    ]
