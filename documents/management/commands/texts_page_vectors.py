from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import BooleanField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex

from documents.extraction import PAGE_BREAK
from documents.models import DocumentText
from documents.texts import _index_pages


class Command(BaseCommand):
    help = (
        "Store a vector per page (documents migration 0014) for texts of more than one page extracted before it, "
        "so find in one document matches their pages without parsing them. At most --limit texts a run, by version "
        "id from --after, each in its own transaction (nothing read from storage, no worker needed); the last id done "
        "is printed for the next run. Without it those texts are found all the same, only slower."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="texts to do this run (default 1000)")
        parser.add_argument("--after", type=int, default=0, metavar="VERSION_ID", help="start after this version id")

    def handle(self, *args, limit: int, after: int, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Only PostgreSQL keeps page vectors: nothing to do.")
            return
        ids = list(
            DocumentText.objects.filter(status="extracted", version_id__gt=after)
            .filter(RawSQL("page_vectors IS NULL", [], output_field=BooleanField()))  # not the model's column (documents/0014)
            .alias(first_break=StrIndex("text", Value(PAGE_BREAK))).filter(first_break__gt=0)
            .order_by("version_id").values_list("version_id", flat=True)[:limit]
        )
        for pk in ids:
            with transaction.atomic():
                # Re-read under a lock: a re-extraction meanwhile writes its own (and this one's would be of the old text).
                row = DocumentText.objects.select_for_update().filter(pk=pk).only("pk").first()
                if row is not None:
                    _index_pages(row)
        if ids:
            self.stdout.write(f"Stored page vectors of {len(ids)} text(s); next run: --after {ids[-1]}")
        else:
            self.stdout.write("Every text of more than one page has its page vectors: nothing to do.")
