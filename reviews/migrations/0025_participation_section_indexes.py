from django.db import migrations, models

from portal.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    """The lead's two participation sections in their order, built
    CONCURRENTLY; the uncovered index they replace (0018) is dropped once
    its successor exists."""

    atomic = False

    dependencies = [
        ('reviews', '0024_participation_review_copies'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='reviewagency',
            index=models.Index(condition=models.Q(('active_assignments', 0), ('review_status__in', ['submitted', 'in_review'])), fields=['agency', 'review_window_start', 'review_submitted_at', 'review'], name='participation_bare_idx'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='reviewagency',
            index=models.Index(condition=models.Q(('review_status', 'in_review')), fields=['agency', 'review_window_end', 'review'], name='participation_in_review_idx'),
        ),
        migrations.RemoveIndex(
            model_name='reviewagency',
            name='participation_uncovered_idx',
        ),
    ]
