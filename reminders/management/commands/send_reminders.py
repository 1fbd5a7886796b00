from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reminders.services import reminders_run


class Command(BaseCommand):
    help = "Run the reminder sweep now, synchronously (optionally as if at another time, or without sending)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 moment to sweep as of (default: now)")
        parser.add_argument("--dry-run", action="store_true", help="show what is due without recording or sending")

    def handle(self, *args, now=None, dry_run=False, **options):
        moment = timezone.now()
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now: {now!r} is not an ISO-8601 date and time") from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        result = reminders_run(now=moment, dry_run=dry_run)
        verb = "would record" if dry_run else "recorded"
        for name, n in sorted(result["recorded"].items()):
            self.stdout.write(f"{verb} {n} × {name}")
        for name, n in sorted(result["sent"].items()):
            self.stdout.write(f"sent {n} × {name}")
        total = sum(result["sent"].values())
        summary = "Dry run: nothing sent" if dry_run else f"{total} reminders and escalations sent"
        if result["failed"]:
            summary += f", {result['failed']} refused by the mail server (the reason is on the review pages)"
        if result["retrying"]:
            summary += f", {result['retrying']} e-mailed after the mail server recovers (retried with backoff)"
        self.stdout.write(summary + ".")
