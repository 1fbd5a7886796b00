"""Rows get their expiry; rule texts become the safe placeholder syntax (reminders.texts)."""

from django.db import migrations

# The subjects 0001's defaults were created with (str.format on model objects).
OLD_DEFAULTS = {
    "Window ends in 7 days": "{review}: the review window ends in 7 days ({when})",
    "Window ends in 3 days": "{review}: the review window ends in 3 days ({when})",
    "Window ends tomorrow": "{review}: the review window ends tomorrow ({when})",
    "Window closed": "{review}: the review window closed today ({when})",
    "Not closed 2 days after the window": "Escalation: {review} is still open 2 days after its window ended ({when})",
    "Not closed 5 days after the window": "Escalation: {review} is still open 5 days after its window ended ({when})",
    "Assignment unanswered after a day": "{review}: please accept or decline your assignment (answer due {when})",
    "Assignment answer overdue": "Escalation: an assignment on {review} was not answered by {when}",
    "Information request due in 2 days": "{review}: an information request is due in 2 days ({when})",
    "Information request due tomorrow": "{review}: an information request is due tomorrow ({when})",
    "Information request overdue": "Escalation: an information request on {review} was due {when} and is unanswered",
    "Information request 3 days overdue": "Escalation: an information request on {review} is 3 days overdue (due {when})",
    "Submitted review not opened in 3 days": "Escalation: {review} was submitted {when} and is not open yet",
    "No accepted reviewer 2 days into the window": "Escalation: your agency has no accepted reviewer on {review} (window opened {when})",
}


def convert_rules(apps, schema_editor):
    """Unchanged default rules get the new default texts (naming the RFI and
    the agency); edited ones keep their wording with each placeholder turned
    into the nearest safe one (reminders.texts.convert_legacy)."""
    from reminders.defaults import RULES
    from reminders.texts import convert_legacy

    new = {name: (subject, body) for name, _d, _k, _o, _r, subject, body in RULES}
    ReminderRule = apps.get_model("reminders", "ReminderRule")
    for rule in ReminderRule.objects.all():
        if rule.name in new and OLD_DEFAULTS.get(rule.name) == rule.subject:
            rule.subject, rule.body = new[rule.name]
        else:
            rule.subject = convert_legacy(rule.subject, deadline=rule.deadline)[:200]
        rule.save(update_fields=["subject", "body"])


def backfill_expiry(apps, schema_editor):
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import F, Q

    Reminder = apps.get_model("reminders", "Reminder")
    catch_up = timedelta(days=max(1, settings.PORTAL_REMINDER_CATCH_UP_DAYS))
    Reminder.objects.filter(due_at__lt=F("occasion")).update(expires_at=F("occasion"))
    Reminder.objects.filter(~Q(due_at__lt=F("occasion"))).update(expires_at=F("due_at") + catch_up)



class Migration(migrations.Migration):

    dependencies = [("reminders", "0002_delivery_outcomes")]

    operations = [
        migrations.RunPython(backfill_expiry, migrations.RunPython.noop),
        migrations.RunPython(convert_rules, migrations.RunPython.noop),
    ]
