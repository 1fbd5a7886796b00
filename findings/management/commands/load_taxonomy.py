"""``manage.py load_taxonomy [--atlas PATH]``: loads the shipped AI-risk catalogues,
or a newer MITRE ATLAS data file (its techniques replace the loaded release's;
ids it no longer has are retired, never deleted)."""

from django.core.management.base import BaseCommand, CommandError

from findings.taxonomy import SHIPPED_ATLAS, SHIPPED_JSON, CatalogueFileError, load, read_atlas, read_json


class Command(BaseCommand):
    help = "Loads the findings taxonomy (OWASP LLM Top 10 2025, MITRE ATLAS, NIST AI 600-1); --atlas loads a newer ATLAS.yaml."

    def add_arguments(self, parser):
        parser.add_argument("--atlas", metavar="PATH", help="an ATLAS.yaml (MITRE's published data file) to load instead of the shipped one")

    def handle(self, *args, atlas=None, **options):
        try:
            releases = [read_json(path) for path in SHIPPED_JSON] + [read_atlas(atlas or SHIPPED_ATLAS)]
            for data in releases:
                counts = load(data)
                self.stdout.write(
                    f"{data.catalogue} {data.version}: {len(data.entries)} ids "
                    f"({counts['added']} added, {counts['updated']} updated, {counts['retired']} retired)"
                )
        except CatalogueFileError as exc:
            raise CommandError(str(exc)) from exc
