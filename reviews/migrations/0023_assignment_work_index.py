from django.db import migrations, models

from portal.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    """A reviewer's accepted work by the review's status and deadline, built
    CONCURRENTLY (the assignments table is large and written on every answer)."""

    atomic = False

    dependencies = [
        ('reviews', '0022_assignment_review_status'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='assignment',
            index=models.Index(condition=models.Q(('status', 'accepted')), fields=['reviewer', 'review_status', 'review_window_end', 'review'], name='assignment_work_idx'),
        ),
    ]
