from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _steady_seqscans(sender, connection, **kwargs):
    """A search reads its candidates unordered with a LIMIT (search/probe.py).
    On a table larger than a quarter of shared_buffers PostgreSQL starts a
    sequential scan where another one left off (``synchronize_seqscans``), so
    the same search found a different first thousand candidates each time —
    different hits on every keystroke and refresh (6 distinct result pages in
    6 runs on the seeded data) — and read cold pages. Off, each scan starts at
    the table's first page: the same search, the same hits. No query of the
    portal relies on scans sharing their progress."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronize_seqscans = off")


class SearchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "search"
    verbose_name = "Search"

    def ready(self):
        connection_created.connect(_steady_seqscans, dispatch_uid="search.steady_seqscans")
