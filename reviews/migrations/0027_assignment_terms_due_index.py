from django.db import migrations, models

from portal.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    """A reviewer's accepted, active work still owing the current terms, by
    deadline; built CONCURRENTLY (the assignments table is large)."""

    atomic = False

    dependencies = [
        ('reviews', '0026_assignment_terms_accepted'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='assignment',
            index=models.Index(condition=models.Q(('review_status__in', ['submitted', 'in_review']), ('status', 'accepted'), ('terms_accepted', False)), fields=['reviewer', 'review_window_end', 'review'], name='assignment_terms_due_idx'),
        ),
    ]
