from django.db import migrations, models

from portal.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    """The reach rows that expire, for the live part of a user's count
    (ReachDelta keeps the rest): built CONCURRENTLY, as the reach table is
    large and written on every grant."""

    atomic = False

    dependencies = [
        ('reviews', '0020_reach_delta'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='reviewreach',
            index=models.Index(condition=models.Q(('expires_at__isnull', False)), fields=['user', 'expires_at'], name='review_reach_expiring_idx'),
        ),
    ]
