from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("reminders", "0003_reminder_texts_and_expiry")]

    operations = [
        migrations.AlterField(
            model_name="reminder",
            name="expires_at",
            field=models.DateTimeField(
                help_text="Its occasion has passed: a reminder before the deadline, at the deadline; otherwise "
                "PORTAL_REMINDER_CATCH_UP_DAYS after it fell due. Still undelivered then, it is missed."
            ),
        ),
    ]
