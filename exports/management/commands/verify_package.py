"""python manage.py verify_package FILE.zip [--public-key PEM]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exports.signing import load_public_key
from exports.signing import public_key as portal_public_key
from exports.verify import PackageMismatch, verify_package


class Command(BaseCommand):
    help = (
        "Checks a closing package: the Ed25519 signature of its manifest, then every file's SHA-256. "
        "Names the first file that does not match and exits non-zero on any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("package", help="the package's zip file")
        parser.add_argument(
            "--public-key",
            help="PEM file of the portal's public key (default: the public half of this portal's PORTAL_SIGNING_KEY)",
        )

    def handle(self, *args, package, public_key=None, **options):
        if public_key:
            try:
                key = load_public_key(Path(public_key).read_bytes())
            except (OSError, ValueError) as exc:
                raise CommandError(f"--public-key {public_key}: not a readable Ed25519 public key ({exc})") from exc
        else:
            key = portal_public_key()
        try:
            result = verify_package(package, key)
        except PackageMismatch as exc:
            raise CommandError(f"MISMATCH: {exc}") from exc
        m = result.manifest
        self.stdout.write(
            f"OK: {result.files} files ({result.bytes:,} bytes) match the manifest signed with key {result.key_id} "
            f"for {m['audience']['organisation']}, {m['review']['title']}, {m['generated_at']}."
        )
