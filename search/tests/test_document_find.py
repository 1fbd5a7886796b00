"""Find in one document (``/documents/<id>/find/``): every page of the text
of its newest version the reader may read that holds the words, in page
order, each with its snippet and a link that opens the PDF at that page;
recorded like every search. Out of scope: 404, nothing recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents.models import DocumentVersion
from search.models import SearchRecord
from search.selectors import document_pages_found

from .test_snippet_pages import _newer, _pages_pdf, _stored

pytestmark = pytest.mark.django_db

PAGES = ["The heliotrope harness is set up.", "Nothing of note on this page.", "The heliotrope chain escaped the sandbox."]


def _pages(reader, version, text):
    found = document_pages_found(user=reader, document=version.document, text=text)
    return found.version, [hit.page for hit in found.pages], found.total


def test_find_lists_every_page_that_holds_the_words_in_page_order(demo):
    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    reader = demo["reviewer_nsa"]
    assert _pages(reader, version, "heliotrope") == (version, [1, 3], 2)
    assert _pages(reader, version, '"heliotrope chain"') == (version, [3], 1)
    assert _pages(reader, version, "helio* sandbox") == (version, [3], 1)
    assert _pages(reader, version, "heliotrope or note") == (version, [1, 2, 3], 3)
    assert _pages(reader, version, "obsidian") == (version, [], 0)
    found = document_pages_found(user=reader, document=version.document, text="heliotrope")
    # Each page's own snippet (ts_headline's fragments start at the match).
    assert [str(hit.snippet).startswith(start) for hit, start in zip(found.pages, (
        "<mark>heliotrope</mark> harness", "<mark>heliotrope</mark> chain escaped the sandbox",
    ), strict=True)] == [True, True]
    # At most ``most`` pages, and how many more.
    few = document_pages_found(user=reader, document=version.document, text="heliotrope or note", most=2)
    assert ([hit.page for hit in few.pages], few.total, few.more) == ([1, 2], 3, 1)


def test_find_answers_no_page_from_the_stored_vector_only_where_that_is_sound(demo):
    """A text whose stored vector cannot match is not split into pages — but
    a page may lack a word the text holds (a negation), and a vector made of
    a text's first part says nothing of its tail: those are read page by page."""
    from django.db import connection

    from documents.models import DocumentText

    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    reader = demo["reviewer_nsa"]
    assert DocumentText.objects.get(pk=version.pk).indexed_chars == len(DocumentText.objects.get(pk=version.pk).text)
    assert _pages(reader, version, "obsidian") == (version, [], 0)
    assert _pages(reader, version, "heliotrope -sandbox") == (version, [1], 1)
    assert _pages(reader, version, "heliotrope -harness") == (version, [3], 1)
    # The vector of only the first page's words (as for a text too large for one vector).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE documents_documenttext SET search_vector = to_tsvector('english', left(text, 30)), indexed_chars = 30 WHERE version_id = %s",
            [version.pk],
        )
    assert _pages(reader, version, "sandbox") == (version, [3], 1)


def test_find_matches_each_pages_stored_vector_and_the_same_pages_without_them(demo):
    """The extraction keeps a vector per page of a multi-page text (none for a
    single page); find matches pages against them, and a text without them
    (extracted before the column) finds the same pages by parsing its pages."""
    from django.db import connection

    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    one_page = _stored(demo, _pages_pdf(["A single page about a heliotrope harness."]), "one.pdf")
    reader = demo["reviewer_nsa"]

    def stored(pk):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT array_length(page_vectors, 1), array(SELECT v = to_tsvector('english', p) "
                "FROM unnest(page_vectors, string_to_array(text, E'\\f')) AS u(v, p)) FROM documents_documenttext WHERE version_id = %s",
                [pk],
            )
            return cursor.fetchone()

    assert stored(version.pk) == (3, [True, True, True])
    assert stored(one_page.pk) == (None, [None])  # no stored vector: the page is parsed
    queries = ["heliotrope", '"heliotrope chain"', "helio* sandbox", "heliotrope or note", "heliotrope -sandbox", "obsidian"]
    with_vectors = [_pages(reader, version, q) for q in queries]
    assert [pages for _, pages, _ in with_vectors] == [[1, 3], [3], [3], [1, 2, 3], [1], []]
    # What is matched is the stored vector: page 2's made to hold a word its text does not (a negation
    # reads past the whole-text vector, which lacks the word).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE documents_documenttext SET page_vectors[2] = to_tsvector('english', 'quokka') WHERE version_id = %s", [version.pk])
    assert _pages(reader, version, "quokka -obsidian") == (version, [2], 1)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE documents_documenttext SET page_vectors = NULL WHERE version_id = %s", [version.pk])
    assert [_pages(reader, version, q) for q in queries] == with_vectors
    assert _pages(reader, version, "quokka -obsidian") == (version, [], 0)
    assert _pages(reader, one_page, "heliotrope") == (one_page, [1], 1)


def test_texts_page_vectors_stores_them_for_texts_extracted_before_the_column(demo):
    """``manage.py texts_page_vectors``: a multi-page text without its page
    vectors gets them (one per page, as the extraction makes them); a
    single page and a text that has them are left alone; a second run finds
    nothing to do."""
    import io

    from django.core.management import call_command
    from django.db import connection


    old = _stored(demo, _pages_pdf(PAGES), "old.pdf")
    kept = _stored(demo, _pages_pdf(["Kept pages.", "Second page."]), "kept.pdf")
    one = _stored(demo, _pages_pdf(["One page."]), "one.pdf")

    def vectors():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT version_id, page_vectors::text[] FROM documents_documenttext WHERE version_id IN (%s, %s, %s) ORDER BY version_id",
                [old.pk, kept.pk, one.pk],
            )
            return cursor.fetchall()

    extracted = vectors()
    assert [(pk, len(v) if v else None) for pk, v in extracted] == [(old.pk, 3), (kept.pk, 2), (one.pk, None)]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE documents_documenttext SET page_vectors = NULL WHERE version_id = %s", [old.pk])
    out, again = io.StringIO(), io.StringIO()
    call_command("texts_page_vectors", stdout=out)
    call_command("texts_page_vectors", stdout=again)
    assert out.getvalue().strip() == f"Stored page vectors of 1 text(s); next run: --after {old.pk}"
    assert "nothing to do" in again.getvalue()
    assert vectors() == extracted


def test_a_page_of_a_hash_dump_is_matched_by_its_opening_and_never_overflows_a_vector(demo):
    """A page whose words would not fit a tsvector (1 MiB: here 120,000 unique
    tokens) neither fails the extraction nor the find: its vector, stored or
    made at the find, is of its first ``PAGE_VECTOR_CHARS`` characters."""
    import hashlib

    from django.db import connection

    from documents.extraction import PAGE_BREAK, PAGE_VECTOR_CHARS
    from documents.models import DocumentText
    from documents.texts import _index

    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    dump = " ".join(hashlib.sha256(str(n).encode()).hexdigest()[:12] for n in range(120_000))
    row = DocumentText.objects.get(pk=version.pk)
    row.text = PAGE_BREAK.join(["The heliotrope harness.", f"Hashes: {dump} quetzal", "The heliotrope chain."])
    row.save(update_fields=["text"])
    assert _index(row) < len(row.text)  # the whole text's vector is of its first part (it would not fit)
    assert len(dump) > PAGE_VECTOR_CHARS
    reader = demo["reviewer_nsa"]
    for vectors in ("stored", "none"):
        assert _pages(reader, version, "heliotrope") == (version, [1, 3], 2), vectors
        assert _pages(reader, version, "hashes") == (version, [2], 1), vectors
        assert _pages(reader, version, "quetzal") == (version, [], 0), vectors  # past the page's opening
        with connection.cursor() as cursor:
            cursor.execute("UPDATE documents_documenttext SET page_vectors = NULL WHERE version_id = %s", [version.pk])


def test_find_reads_the_newest_version_the_reader_may_read(demo):
    """A newer version waiting for its scan or quarantined is passed over for
    the one before it; once clean, it is the one read."""
    first = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    newer = _newer(demo, first, ["The heliotrope chain, now contained.", "Appendix."])
    reader = demo["reviewer_nsa"]
    assert _pages(reader, newer, "heliotrope") == (newer, [1], 1)
    for status in ("pending", "infected"):
        DocumentVersion.objects.filter(pk=newer.pk).update(scan_status=status)
        assert _pages(reader, newer, "heliotrope") == (first, [1, 3], 2), status
    DocumentVersion.objects.filter(pk=newer.pk).update(scan_status="clean")
    assert _pages(reader, newer, "heliotrope") == (newer, [1], 1)


def test_the_find_page_links_each_page_into_the_pdf_and_is_recorded(demo, login):
    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    reader = demo["reviewer_nsa"]
    url = reverse("document_find", kwargs={"pk": version.document_id})
    client = login(reader, accept_terms_for=[demo["atlas"]])
    assert client.get(reverse("document_detail", kwargs={"pk": version.document_id})).content.decode().count(f'action="{url}"') == 1
    assert client.get(url).status_code == 200 and not SearchRecord.objects.exists()  # the form alone: no search
    html = client.get(url, {"q": "heliotrope"}).content.decode()
    view = reverse("version_view", kwargs={"pk": version.pk})
    assert "2 pages of version 1 for “heliotrope”" in html
    assert html.count("Open at page") == 2
    assert f'<a href="{view}?page=1">Open at page 1</a>' in html and f'<a href="{view}?page=3">Open at page 3</a>' in html
    assert list(SearchRecord.objects.values_list("user_id", "text", "filters", "found", "via")) == [
        (reader.pk, "heliotrope", {"document": version.document_id}, {"pages": "2"}, "page"),
    ]
    html = client.get(url, {"q": "obsidian"}).content.decode()
    assert "0 pages of version 1 for “obsidian”" in html and "No page of version 1 holds these words." in html


def test_a_text_file_is_one_page_with_nothing_to_open_at(demo, login):
    version = _stored(demo, b"Notes: the heliotrope harness, again.", "notes.txt")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    html = client.get(reverse("document_find", kwargs={"pk": version.document_id}), {"q": "heliotrope"}).content.decode()
    assert "1 page of version 1 for “heliotrope”" in html and "Page 1" in html and "Open at page" not in html


def test_find_out_of_scope_is_404_and_records_nothing(demo, login):
    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")  # Atlas-2: NSA's review, not CISA's
    response = login(demo["reviewer_cisa"]).get(reverse("document_find", kwargs={"pk": version.document_id}), {"q": "heliotrope"})
    assert response.status_code == 404
    assert "heliotrope" not in response.content.decode()
    assert not SearchRecord.objects.exists()


def test_find_refuses_words_too_long_naming_the_field_and_records_nothing(demo, login):
    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    response = client.get(reverse("document_find", kwargs={"pk": version.document_id}), {"q": "heliotrope " * 30})
    assert response.status_code == 400
    assert "Find in this document: Ensure this value has at most 200 characters" in response.content.decode()
    assert not SearchRecord.objects.exists()


def test_the_find_page_runs_the_same_queries_for_one_page_found_as_for_fifty(demo, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one = _stored(demo, _pages_pdf(["A quasar.", "Nothing."]), "one.pdf")
    many = _stored(demo, _pages_pdf([f"Quasar number {n}." for n in range(60)]), "many.pdf")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])

    def queries(version):
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(reverse("document_find", kwargs={"pk": version.document_id}), {"q": "quasar"}).content.decode()
        return len(ctx.captured_queries), html

    client.get(reverse("document_find", kwargs={"pk": one.document_id}), {"q": "quasar"})  # warm: the session, the bell
    few, html_few = queries(one)
    lots, html_lots = queries(many)
    assert (html_few.count("Open at page"), html_lots.count("Open at page")) == (1, 50) and lots == few
    assert "more page" not in html_few and "10 more pages match; the first 50 are shown." in html_lots


def test_a_pdf_the_reader_may_not_open_is_not_searched_within(demo, login, settings):
    """A PDF whose own marking watermarks it, too large to stamp, is refused by
    the view; its text is not read either (``readable_by``, as the view):
    no page, no snippet, no link that would only be refused."""
    from documents.models import HandlingMarking

    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    DocumentVersion.objects.filter(pk=version.pk).update(marking=HandlingMarking.objects.filter(watermark_pdf=True).first())
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    url = reverse("document_find", kwargs={"pk": version.document_id})
    assert client.get(url, {"q": "heliotrope"}).content.decode().count("Open at page") == 2
    settings.PORTAL_WATERMARK_MAX_BYTES = version.size - 1
    html = client.get(url, {"q": "heliotrope"}).content.decode()
    assert "No text to search" in html and "heliotrope</mark>" not in html and "Open at page" not in html


def test_opening_a_pdf_at_a_page_goes_on_to_the_page_after_every_rule_and_a_step_up(demo, login):
    """``?page=N`` on a version's view: once every rule has passed, the same
    address with ``#page=N`` (the viewers' open parameter), recorded only when
    the bytes go out; through a view-only marking's fresh sign-in the page
    survives (a fragment would not); a page that is no number is ignored, and
    a file that is no PDF is refused as before."""
    from accounts.tests.test_step_up import assert_a_stale_sign_in_steps_up_back_to
    from documents.models import DocumentAccess, HandlingMarking

    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    text_file = _stored(demo, b"Notes, one page.", "notes.txt")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    view = reverse("version_view", kwargs={"pk": version.pk})
    before = DocumentAccess.objects.count()
    onward = client.get(view, {"page": 3})
    assert (onward.status_code, onward["Location"]) == (302, f"{view}#page=3")
    assert DocumentAccess.objects.count() == before  # nothing served yet
    assert client.get(view).status_code == 200 and DocumentAccess.objects.count() == before + 1
    for odd in ("0", "abc", "-2", "100001"):
        assert client.get(view, {"page": odd})["Content-Type"] == "application/pdf", odd
    # A text file does not open in the browser, page or not: refused as before, back to its document.
    refused = client.get(reverse("version_view", kwargs={"pk": text_file.pk}), {"page": 2})
    assert refused["Location"] == reverse("document_detail", kwargs={"pk": text_file.document_id})

    view_only = HandlingMarking.objects.create(name="View only (test)", downloads_allowed=False, ordering=30)
    DocumentVersion.objects.filter(pk=version.pk).update(marking=view_only)
    assert_a_stale_sign_in_steps_up_back_to(client, f"{view}?page=3")
    # Signed in again (the sign-in fresh once more): the page it came for.
    assert client.get(f"{view}?page=3")["Location"] == f"{view}#page=3"
