"""Re-encrypts every stored credential under the first of ``PORTAL_CREDENTIAL_KEYS``.

Rotation, step by step:

1. ``python manage.py rotate_secrets_key --generate`` prints a new Fernet key.
2. Put it first: ``PORTAL_CREDENTIAL_KEYS=<new>,<old>``; restart (both keys decrypt, the new one encrypts).
3. ``python manage.py rotate_secrets_key`` re-encrypts every secret still stored under the new key
   (each row under its lock; a secret no configured key decrypts is named by id and stops the run).
4. Remove the old key: ``PORTAL_CREDENTIAL_KEYS=<new>``; restart. The old key decrypts nothing any more.

The command prints counts and credential ids only, never a secret.
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.services import audit_record
from modelaccess import crypto
from modelaccess.models import Credential


class Command(BaseCommand):
    help = "Re-encrypt every stored model-access credential under the first key of PORTAL_CREDENTIAL_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true", help="Print a new Fernet key and change nothing.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, generate: bool = False, batch_size: int = 500, **options):
        if generate:
            self.stdout.write(Fernet.generate_key().decode())
            return
        crypto.multifernet()  # refuses to run without keys
        rotated, last_id = 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    Credential.objects.select_for_update()
                    .exclude(secret="")
                    .filter(pk__gt=last_id)
                    .order_by("pk")
                    .only("pk", "secret")[:batch_size]
                )
                if not batch:
                    break
                for credential in batch:
                    try:
                        credential.secret = crypto.rotate(credential.secret)
                    except crypto.SecretUnreadable:
                        raise CommandError(
                            f"Credential #{credential.pk} is not readable with any key in PORTAL_CREDENTIAL_KEYS; "
                            "nothing in this batch was changed. Put the key it was encrypted with back in the list."
                        ) from None
                Credential.objects.bulk_update(batch, ["secret"])
                rotated += len(batch)
                last_id = batch[-1].pk
        audit_record(action="model_access.keys_rotated", actor=None, actor_label="system", payload={"credentials": rotated})
        self.stdout.write(f"Re-encrypted {rotated} stored credential{'s' if rotated != 1 else ''} under the first key.")
