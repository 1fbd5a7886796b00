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
