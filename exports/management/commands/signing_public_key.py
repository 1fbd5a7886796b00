"""python manage.py signing_public_key: prints the public half of PORTAL_SIGNING_KEY (PEM) and its key id."""

from django.core.management.base import BaseCommand

from exports.signing import key_id, public_key_pem


class Command(BaseCommand):
    help = "Prints the portal's public signing key (PEM) for verifying closing packages elsewhere."

    def handle(self, *args, **options):
        self.stderr.write(f"key id {key_id()}")
        self.stdout.write(public_key_pem(), ending="")
