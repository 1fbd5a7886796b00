"""Default markings are created by documents.defaults.ensure_default_markings
after every migrate (a data migration's rows would not survive a test flush)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = []
