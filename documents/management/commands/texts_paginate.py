from django.core.management.base import BaseCommand, CommandError
from django.db.models import Value
from django.db.models.functions import Left, StrIndex

from documents.extraction import PAGE_BREAK
from documents.models import DocumentText
from documents.tasks import extract_version_text


OPENING = 20_000  # characters: a first page's text is seldom longer


class Command(BaseCommand):
    help = (
        "Queue text extraction again for PDFs of more than one page whose text was extracted before page "
        "breaks were kept (search migration 0009), so search names the page a snippet is on. At most --limit "
        "a run, by version id from --after; the last id queued is printed for the next run (if the broker refuses a "
        "message, the --after that goes on from there). Re-extracting replaces a text and reads the stored file again "
        "(a worker's time), nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="versions to queue this run (default 1000)")
        parser.add_argument("--after", type=int, default=0, metavar="VERSION_ID", help="start after this version id")

    def handle(self, *args, limit: int, after: int, **options):
        # The first break is looked for in a text's opening only (a compressed text is read that far, not
        # whole): a first page longer than that is extracted again for nothing, which changes nothing.
        ids = list(
            DocumentText.objects.filter(status="extracted", pages__gt=1, version_id__gt=after)
            .alias(first_break=StrIndex(Left("text", OPENING), Value(PAGE_BREAK))).filter(first_break=0)
            .order_by("version_id").values_list("version_id", flat=True)[:limit]
        )
        queued = 0
        for pk in ids:
            try:
                extract_version_text.delay(pk)
            except Exception as error:  # noqa: BLE001 — the broker (kombu's OperationalError and kin): said, with where to go on
                resume = ids[queued - 1] if queued else after
                raise CommandError(
                    f"The broker refused version {pk} ({error}); {queued} version(s) queued before it. "
                    f"When the broker is back, run again with --after {resume}."
                ) from error
            queued += 1
        if ids:
            self.stdout.write(f"Queued {len(ids)} version(s) for extraction; next run: --after {ids[-1]}")
        else:
            self.stdout.write("Every PDF text of more than one page keeps its page breaks: nothing to queue.")
