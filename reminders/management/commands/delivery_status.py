import json

from django.core.management.base import BaseCommand

from notifications.selectors import email_counts
from reminders.selectors import reminder_counts


class Command(BaseCommand):
    help = "Print where reminders and e-mails stand: due, sent, pending, retrying, missed, failed (for operators and benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON object instead of name: value lines")

    def handle(self, *args, **options):
        result = {"reminders": reminder_counts(), "emails": email_counts()}
        if options.get("json"):
            self.stdout.write(json.dumps(result, sort_keys=True))
            return
        for group, counts in result.items():
            for name, value in counts.items():
                self.stdout.write(f"{group}.{name}: {value}")
