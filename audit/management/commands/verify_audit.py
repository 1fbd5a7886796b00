from django.core.management.base import BaseCommand, CommandError

from audit.verify import verify_chain


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit non-zero and name the first broken event if it was tampered with."

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(f"Audit chain broken at event {broken.event_id}: {broken.reason} ({checked} events verified before it).")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
