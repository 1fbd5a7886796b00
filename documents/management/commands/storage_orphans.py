from datetime import timedelta

from django.core.management.base import BaseCommand

from documents.storage import orphans, orphans_remove


class Command(BaseCommand):
    help = (
        "List stored document files that no version row names (left by an upload whose write or transaction "
        "failed); with --delete, remove them. Files younger than --older-than minutes are left alone: their "
        "upload may still be committing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="delete the orphans (default: only report them)")
        parser.add_argument("--older-than", type=int, default=60, metavar="MINUTES", help="grace period (default 60)")

    def handle(self, *args, delete: bool, older_than: int, **options):
        grace = timedelta(minutes=older_than)
        found = orphans_remove(older_than=grace) if delete else orphans(older_than=grace)
        for orphan in found:
            when = orphan.modified.isoformat(timespec="seconds") if orphan.modified else "unknown time"
            size = "unknown size" if orphan.size is None else f"{orphan.size} bytes"
            self.stdout.write(f"{'deleted' if delete else 'orphan'} {orphan.name} ({size}, written {when})")
        total = sum(o.size or 0 for o in found)
        verb = "Deleted" if delete else "Found"
        hint = "" if delete or not found else " Run with --delete to remove them."
        self.stdout.write(f"{verb} {len(found)} orphan file(s), {total} bytes, older than {older_than} minutes.{hint}")
