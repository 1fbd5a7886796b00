"""Search on the seeded data: server time of the search page (template
included) per user size and query shape (and one word narrowed to a review,
the last seven days, a company or an agency: ``filtered``), the database time of the scoped
search (EXPLAIN ANALYZE of every statement it runs), each page's p95 as a
ratio to the floor measured interleaved, the process's CPU time of both
(``cpu_p50``, ``floor_cpu_p50``), indexing a 100-page PDF, and finding the
pages of one document that hold the words at the text limits (200 pages,
2,000,000 characters: ``_find_in_document``)."""

from __future__ import annotations

import io
import json
import statistics
import time

from .floor import percentile

RUNS = 30
WARMUP = 5
USERS = ("u20", "u500", "u20000", "admin")


def queries():
    from .seed import TAIL_WORDS

    return {
        "one_word": "safeguard",
        "rare_word": TAIL_WORDS[1500],
        "two_words": "exploit classifier",
        "phrase": '"red team"',
        "prefix": "evalu*",
    }


def filtered(user) -> dict[str, tuple[str, dict]]:
    """A one-word search narrowed by a filter, per filter a user reaches for:
    the newest review the user sees, the last seven days, and that review's
    company and first participating agency (as the search form sends them)."""
    import datetime as dt

    from django.utils import timezone

    from reviews.models import Review

    review = Review.objects.visible_to(user).order_by("-id").first()
    agency = review.participations.order_by("pk").values_list("agency_id", flat=True).first()
    week = {"date_from": (timezone.localdate() - dt.timedelta(days=7)).isoformat()}
    return {
        "one_word_in_review": ("safeguard", {"review": review.pk}), "one_word_in_week": ("safeguard", week),
        "one_word_of_company": ("safeguard", {"company": review.company_id}), "one_word_of_agency": ("safeguard", {"agency": agency}),
    }


def _ok(response, url: str) -> None:
    assert response.status_code == 200, (url, response.status_code)


def _filters(text: str, params: dict):
    """The filters the search page builds from the same parameters."""
    from search.forms import SearchForm

    form = SearchForm({"q": text, **params})
    assert form.is_valid(), form.errors
    return form.filters()


def _db_ms(user, text, params: dict | None = None) -> tuple[float, float, int]:
    """The statements one search runs: the sum of their execution times and of
    their planning times (EXPLAIN ANALYZE, best of 3 each), and how many."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.parallel import one_after_another
    from search.selectors import search

    # Every statement on this connection, to be captured (the page reads the kinds side by side).
    with CaptureQueriesContext(connection) as ctx, one_after_another():
        search(user=user, text=text, filters=_filters(text, params or {}))
    statements = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    execution = planning = 0.0
    for sql in statements:
        best = None
        for _ in range(3):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                raw = cursor.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            pair = (plan["Execution Time"], plan["Planning Time"])
            best = pair if best is None else (min(best[0], pair[0]), min(best[1], pair[1]))
        execution += best[0]
        planning += best[1]
    return execution, planning, len(statements)


def _hundred_page_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    from .seed import VOCABULARY

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for page in range(100):
        for line in range(45):
            words = [VOCABULARY[(page * 997 + line * 31 + k * 7) % len(VOCABULARY)] for k in range(12)]
            c.drawString(40, 800 - 17 * line, " ".join(words))
        c.showPage()
    c.save()
    return buf.getvalue()


def _index_pdf(emit) -> None:
    """The worker's cost of one 100-page PDF: extraction (pypdf) and its vector."""
    from django.db import connection

    from documents.extraction import extract

    pdf = _hundred_page_pdf()
    times = []
    for _ in range(3):
        t = time.perf_counter()
        outcome = extract(io.BytesIO(pdf), content_type="application/pdf", size=len(pdf))
        with connection.cursor() as cursor:
            cursor.execute("SELECT length(to_tsvector('english', %s))", [outcome.text])
        times.append((time.perf_counter() - t) * 1000)
    emit("index_pdf_100_pages.pages", outcome.pages, "pages")
    emit("index_pdf_100_pages.chars", len(outcome.text), "chars")
    emit("index_pdf_100_pages.best", round(min(times)), "ms")


def run(emit) -> None:
    from django.test.utils import override_settings
    from urllib.parse import urlencode

    from accounts.models import User

    from .floor import FLOOR_URL, Timing
    from .people import signed_in

    with override_settings(ROOT_URLCONF="bench.urls"):  # the portal's URLs and the floor page (bench/floor.py)
        users = {key: User.objects.select_related("membership").get(email=f"bench-{key}@bench.example") for key in USERS}
        for key, user in users.items():
            client = signed_in(user)
            shapes = {label: (text, {}) for label, text in queries().items()} | filtered(user)
            for label, (text, params) in shapes.items():
                url = "/search/?" + urlencode({"q": text, **params})
                for _ in range(WARMUP):
                    client.get(url), client.get(FLOOR_URL)
                page, floor = Timing(), Timing()
                for _ in range(RUNS):  # interleaved: the floor and the page share the machine's moment
                    page.time(lambda: _ok(client.get(url), url))
                    floor.time(lambda: client.get(FLOOR_URL))
                emit(f"{key}.search_{label}.p50", round(page.p50, 1), "ms")
                emit(f"{key}.search_{label}.p95", round(page.p95, 1), "ms")
                emit(f"{key}.search_{label}.floor_p95", round(floor.p95, 1), "ms")
                emit(f"{key}.search_{label}.vs_floor", round(page.p95 / floor.p95, 2), "x")
                # The process's CPU (Python, every thread's; not PostgreSQL's) against the floor's.
                emit(f"{key}.search_{label}.cpu_p50", round(page.cpu_p50, 1), "ms")
                emit(f"{key}.search_{label}.floor_cpu_p50", round(floor.cpu_p50, 1), "ms")
                execution, planning, statements = _db_ms(user, text, params)
                emit(f"{key}.search_{label}.db", round(execution, 2), "ms")
                emit(f"{key}.search_{label}.db_planning", round(planning, 2), "ms")
                emit(f"{key}.search_{label}.statements", statements, "queries")
        _index_pdf(emit)
        _find_in_document(emit, users["admin"])


def run_load(emit, *, searchers: int = 4, seconds: int = 20) -> None:
    """Searches at once on a saturated machine: ``searchers`` threads of this
    process (each its own connection) search for ``seconds``, round-robin
    over the four users and five queries, first with the kinds read side by
    side (a pool of ``PORTAL_PARALLEL_READS`` threads, 3 where it is 0) and
    then in turn (0). Prints searches done, errors, results that differ from the
    in-turn search's, and p50/p95 per mode: what side by side costs when
    there are no idle cores (portal.parallel)."""
    import threading

    from django.conf import settings
    from django.db import connections
    from django.test.utils import override_settings

    from accounts.models import User
    from portal.parallel import one_after_another
    from search.selectors import search

    def found(user, text):
        return [(s.kind, s.count, [h.url for h in s.hits]) for s in search(user=user, text=text).sections]

    ids = [User.objects.get(email=f"bench-{key}@bench.example").pk for key in USERS]
    texts = list(queries().values())
    with one_after_another():
        users = {pk: User.objects.select_related("membership").get(pk=pk) for pk in ids}
        expected = {(pk, text): found(users[pk], text) for pk in ids for text in texts}
    for label, workers in (("side_by_side", settings.PORTAL_PARALLEL_READS or 3), ("in_turn", 0)):
        times, errors, differ = [], [], []

        def searcher(n):
            try:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    pk, text = ids[n % len(ids)], texts[n % len(texts)]
                    n += 1
                    user = User.objects.select_related("membership").get(pk=pk)  # a request's own user object
                    started = time.perf_counter()
                    got = found(user, text)
                    times.append((time.perf_counter() - started) * 1000)
                    if got != expected[(pk, text)]:
                        differ.append((pk, text))
            except Exception as exc:  # noqa: BLE001 — counted and printed
                errors.append(repr(exc))
            finally:
                connections.close_all()

        with override_settings(PORTAL_PARALLEL_READS=workers):
            threads = [threading.Thread(target=searcher, args=(n,)) for n in range(searchers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        emit(f"search_load.{label}.searchers", searchers, "threads")
        emit(f"search_load.{label}.searches", len(times), f"in {seconds} s")
        emit(f"search_load.{label}.errors", len(errors), errors[0][:120] if errors else "")
        emit(f"search_load.{label}.differing", len(differ), "results")
        if times:
            emit(f"search_load.{label}.p50", round(statistics.median(times), 1), "ms")
            emit(f"search_load.{label}.p95", round(percentile(times, 95), 1), "ms")


class _Undo(Exception):
    pass


def _find_in_document(emit, reader) -> None:
    """Find in one document (``search.selectors.document_pages_found``) on a
    dense 100-page report (the size of ``_hundred_page_pdf``'s text, ~4,800
    characters a page) and on a text at the extraction's limits (200 pages,
    2,000,000 characters), each put in place of one seeded version's text (and
    its vectors made as the extraction makes them) in a transaction rolled
    back: every page is matched against its stored vector (and, ``.parsed``,
    as a text extracted before those: every page's words parsed), the first
    50 matching get a headline — unless the stored whole-text vector says no
    page can match (an absent word)."""
    from django.conf import settings
    from django.db import connection, transaction

    from documents.extraction import PAGE_BREAK
    from documents.models import DocumentText
    from documents.texts import _index
    from search.selectors import document_pages_found

    from .seed import TAIL_WORDS, VOCABULARY

    row = DocumentText.objects.filter(status="extracted").select_related("version__document").order_by("pk").first()
    sizes = {"report_100_pages": (100, 484_000), "at_limits": (settings.PORTAL_SEARCH_TEXT_MAX_PAGES, settings.PORTAL_SEARCH_TEXT_MAX_CHARS)}
    for size, (pages, chars) in sizes.items():
        per_page = chars // pages
        words = [VOCABULARY[(n * 31) % len(VOCABULARY)] for n in range(per_page // 6)]
        text = PAGE_BREAK.join(
            ("quokka " if n == pages // 2 else "") + " ".join(words[n:] + words[:n])[:per_page - 1] for n in range(pages)
        )
        shapes = {
            "one_word": VOCABULARY[0], "one_page_word": "quokka", "absent_word": TAIL_WORDS[1500] + "zz",
            "phrase": f'"{words[1]} {words[2]}"',
        }
        emit(f"find_in_document.{size}.chars", len(text), "chars")
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE documents_documenttext SET text = %s WHERE version_id = %s", [text, row.version_id])
                row.refresh_from_db(fields=["text"])
                indexed = _index(row)  # its vectors, as the extraction makes them (the whole text, or its first part; each page's)
                # With each page's stored vector (documents/0014), then as a text extracted before them is read: every page parsed.
                for pages_read in ("", ".parsed"):
                    if pages_read:
                        with connection.cursor() as cursor:
                            cursor.execute("UPDATE documents_documenttext SET page_vectors = NULL WHERE version_id = %s", [row.version_id])
                    for label, query in shapes.items():
                        times, found = [], None
                        for _ in range(7):
                            t = time.perf_counter()
                            found = document_pages_found(user=reader, document=row.version.document, text=query)
                            times.append((time.perf_counter() - t) * 1000)
                        assert found.version is not None and found.version.pk == row.version_id, label
                        emit(f"find_in_document.{size}.{label}{pages_read}.pages_matching", found.total, "pages")
                        emit(f"find_in_document.{size}.{label}{pages_read}.p50", round(statistics.median(times), 1), "ms")
                emit(f"find_in_document.{size}.vector_covers", indexed, "chars")
                raise _Undo
        except _Undo:
            pass
