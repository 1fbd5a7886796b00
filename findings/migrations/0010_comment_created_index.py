from django.conf import settings
from django.db import migrations, models

from portal.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    """A saved search's alert reads the comments of its window
    (search.selectors.activity) by their moment; built CONCURRENTLY (findings
    go on being commented on)."""

    atomic = False

    dependencies = [
        ('findings', '0009_event_at_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='findingcomment',
            index=models.Index(fields=['created_at'], name='finding_comment_created_idx'),
        ),
    ]
