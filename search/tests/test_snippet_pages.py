"""A snippet from a PDF's text names the page it is on: extraction keeps the
pages apart (a form feed between them), and the search tells the page of the
snippet's first marked word — in a document hit's detail ("text of version
1, page 3") and in an evidence file's label ("Evidence file log.pdf, page
2: …"). A text with no page break (a text file, a one-page PDF) names none."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile

from documents.extraction import PAGE_BREAK
from documents.models import HandlingMarking
from documents.services import document_create
from documents.texts import version_text_extract
from search.selectors import Filters, search
from search.selectors.common import _excerpt_page

from .conftest import text_set

pytestmark = pytest.mark.django_db


def _pages_pdf(pages: list[str]) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for text in pages:
        c.drawString(72, 720, text)
        c.showPage()
    c.save()
    return buf.getvalue()


def _stored(demo, content: bytes, name: str):
    version = document_create(
        review=demo["atlas"], actor=demo["liaison_northwind"], kind="other", title=f"Range notes {name}",
        marking=HandlingMarking.objects.get(is_default=True), file=ContentFile(content, name=name), original_name=name,
    )
    version_text_extract(version_id=version.pk)
    return version


PAGES = ["Setup of the lab range and a pangolin harness.", "Nothing of note on this page.", "The heliotrope chain escaped the sandbox."]


def test_extraction_keeps_a_pdfs_pages_apart(demo):
    row = version_text_extract(version_id=_stored(demo, _pages_pdf(PAGES), "three.pdf").pk)
    assert (row.status, row.pages) == ("extracted", 3)
    parts = row.text.split(PAGE_BREAK)
    assert len(parts) == 3
    assert ["pangolin" in p for p in parts] == [True, False, False]
    assert ["heliotrope" in p for p in parts] == [False, False, True]


def _newer(demo, first, pages: list[str]):
    """A new version of ``first``'s document (same file name), its text extracted."""
    from documents.services import version_create

    newer = version_create(
        document=first.document, actor=demo["liaison_northwind"], original_name=first.original_name,
        file=ContentFile(_pages_pdf(pages), name=first.original_name),
    )
    version_text_extract(version_id=newer.pk)
    return newer


def _document_hit(reader, word: str):
    (hit,) = search(user=reader, text=word, filters=Filters(kinds=("document",))).sections[0].hits
    return hit


def test_a_document_found_in_a_pdfs_text_names_the_page_of_its_snippet(demo):
    version = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    reader = demo["reviewer_nsa"]
    third = _document_hit(reader, "heliotrope")
    assert third.detail.split(" · ")[1] == f"text of version {version.number}, page 3" and third.text_page == 3
    assert "<mark>heliotrope</mark>" in third.snippet and "\f" not in third.snippet
    assert _document_hit(reader, "pangolin").detail.split(" · ")[1] == f"text of version {version.number}, page 1"
    assert _document_hit(reader, '"heliotrope chain"').detail.split(" · ")[1] == f"text of version {version.number}, page 3"


def test_a_pdf_hit_opens_the_newest_matching_version_at_its_page(demo, login):
    """Beside "page 2", a link that opens that version in the browser's PDF
    viewer at that page (``?page=2``, on to ``#page=2``, the viewers' open parameter); the link
    is the version's own inline view, which asks every rule again."""
    from django.urls import reverse

    first = _stored(demo, _pages_pdf(PAGES), "three.pdf")
    newer = _newer(demo, first, ["Revised setup.", "The heliotrope chain, now contained."])
    reader = demo["reviewer_nsa"]
    hit = _document_hit(reader, "heliotrope")
    view = reverse("version_view", kwargs={"pk": newer.pk})
    assert (hit.text_page, hit.page_url) == (2, f"{view}?page=2")
    html = login(reader).get(reverse("search"), {"q": "heliotrope", "type": "document"}).content.decode()
    assert html.count("Open at page") == 1 and f'<a href="{view}?page=2">Open at page 2</a>' in html
    # Beside it, where else in the report: the document's find, with the same words, lists that page.
    find = reverse("document_find", kwargs={"pk": newer.document_id})
    assert hit.find_url == f"{find}?q=heliotrope" and f'<a href="{find}?q=heliotrope">Every page that matches</a>' in html
    found = login(reader, accept_terms_for=[demo["atlas"]]).get(hit.find_url)
    assert found.context["found"].version == newer and [p.page for p in found.context["found"].pages] == [2]
    opened = login(reader).get(view)
    assert (opened.status_code, opened["Content-Type"], opened["Content-Disposition"].split(";")[0]) == (200, "application/pdf", "inline")
    # A hit with no page (found by its title) has no link to open.
    titled = _document_hit(reader, '"Range notes three.pdf"')
    assert (titled.text_page, titled.page_url, titled.find_url) == (None, "", "")


def test_a_text_without_page_breaks_names_no_page(demo):
    one_page = _stored(demo, _pages_pdf(["A single page about a marmoset harness."]), "one.pdf")
    plain = _stored(demo, b"Plain notes.\fA quetzal run, after a form feed the file itself held.", "notes.txt")
    assert _document_hit(demo["reviewer_nsa"], "marmoset").detail.split(" · ")[1] == f"text of version {one_page.number}"
    assert _document_hit(demo["reviewer_nsa"], "quetzal").detail.split(" · ")[1] == f"text of version {plain.number}"
    assert _document_hit(demo["reviewer_nsa"], "marmoset").text_page is None


def test_an_evidence_files_snippet_names_its_page_and_opens_there(demo, login):
    """The snippet names the page; beside it, *Open at page 2*: the evidence
    file's own inline view with ``?page=2`` (which asks every rule again and
    goes on to ``#page=2``), on the page and in the API."""
    from django.urls import reverse

    from documents.tests.factories import marking, upload
    from findings import services as finding_services
    from findings.models import FindingCategory

    finding = finding_services.finding_create(
        review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="Sandbox escape", category=FindingCategory.objects.first(),
        severity="high", description="The agent left the sandbox.",
    )
    evidence = finding_services.evidence_add(
        finding_id=finding.pk, actor=demo["reviewer_nsa"], file=upload("run.pdf", _pages_pdf(["x"]), "application/pdf"),
        original_name="run.pdf", marking=marking(),
    )
    version = evidence.document.versions.get()
    version.__class__.objects.filter(pk=version.pk).update(scan_status="clean")
    text_set(version, PAGE_BREAK.join(["Run log, first page.", "The wolframite payload ran at step 12."]))
    (hit,) = search(user=demo["reviewer_nsa"], text="wolframite", filters=Filters(kinds=("finding",))).sections[0].hits
    assert str(hit.snippet).startswith("Evidence file run.pdf, page 2: ") and "<mark>wolframite</mark>" in hit.snippet
    view = reverse("finding_evidence_view", kwargs={"pk": evidence.pk})
    assert (hit.text_page, hit.page_url) == (2, f"{view}?page=2")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    html = client.get(reverse("search"), {"q": "wolframite", "type": "finding"}).content.decode()
    assert html.count("Open at page") == 1 and f'<a href="{view}?page=2">Open at page 2</a>' in html
    from rest_framework.test import APIClient

    from api.services import token_create

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=demo['reviewer_nsa'], name='tests')[1]}")
    (section,) = api.get("/api/v1/search/", {"q": "wolframite", "type": "finding"}).json()["sections"]
    (api_hit,) = section["results"]
    assert api_hit["text_page_url"] == f"http://testserver{view}?page=2"
    assert client.get(hit.page_url)["Location"] == f"{view}#page=2"
    # Found by the finding's own words, there is no file and no page to open.
    (own,) = search(user=demo["reviewer_nsa"], text="sandbox", filters=Filters(kinds=("finding",))).sections[0].hits
    assert (own.text_page, own.page_url) == (None, "")


def test_the_embedded_search_counts_pages_to_the_first_word_found():
    text = PAGE_BREAK.join(["intro", "the Heliotrope run", "heliotrope again"])
    assert _excerpt_page(text, ["heliotrope"]) == 2
    assert _excerpt_page(text, ["absent"]) is None
    assert _excerpt_page("no breaks heliotrope", ["heliotrope"]) is None


def test_texts_paginate_reextracts_only_pdfs_extracted_without_their_page_breaks(demo):
    """A PDF extracted before page breaks were kept names no page until the
    command queues it again (run here by Celery in eager mode); a text that
    keeps its breaks, a one-page PDF and a text file are not queued, and a
    second run finds nothing."""
    from django.core.management import call_command

    from documents.models import DocumentText
    from portal.celery import app

    old = _stored(demo, _pages_pdf(PAGES), "old.pdf")
    DocumentText.objects.filter(pk=old.pk).update(text=DocumentText.objects.get(pk=old.pk).text.replace(PAGE_BREAK, "\n"))
    kept = _stored(demo, _pages_pdf(["Kept pages.", "Second page."]), "kept.pdf")
    one = _stored(demo, _pages_pdf(["One page."]), "one.pdf")
    plain = _stored(demo, b"A text file.", "notes.txt")
    untouched = {pk: DocumentText.objects.filter(pk=pk).values().get() for pk in (kept.pk, one.pk, plain.pk)}
    assert _document_hit(demo["reviewer_nsa"], "heliotrope").detail.split(" · ")[1] == f"text of version {old.number}"

    out = io.StringIO()
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        call_command("texts_paginate", stdout=out)
        again = io.StringIO()
        call_command("texts_paginate", stdout=again)
    finally:
        app.conf.task_always_eager = eager
    assert out.getvalue().strip() == f"Queued 1 version(s) for extraction; next run: --after {old.pk}"
    assert "nothing to queue" in again.getvalue()
    assert _document_hit(demo["reviewer_nsa"], "heliotrope").detail.split(" · ")[1] == f"text of version {old.number}, page 3"
    assert {pk: DocumentText.objects.filter(pk=pk).values().get() for pk in untouched} == untouched


def test_texts_paginate_with_the_broker_gone_midway_says_where_to_go_on(demo):
    """The broker going away after the first of three messages (a
    redis-server of the test's own, stopped as the second is about to be
    sent) stops the run with an error naming that version and the --after
    that goes on without queueing the first again; no text is changed, and
    the run from there queues the other two."""
    from celery.signals import before_task_publish
    from django.core.management import CommandError, call_command

    from accounts.tests.test_redis_outage import _start, _stop
    from documents.models import DocumentText
    from notifications.tests.support import free_port
    from portal.celery import app

    olds = [_stored(demo, _pages_pdf(PAGES), f"old{n}.pdf") for n in range(3)]
    for old in olds:
        DocumentText.objects.filter(pk=old.pk).update(text=DocumentText.objects.get(pk=old.pk).text.replace(PAGE_BREAK, "\n"))
    before = list(DocumentText.objects.order_by("pk").values())
    port = free_port()
    server, sent = _start(port), []

    def gone_after_the_first(**kwargs):
        sent.append(kwargs["body"][0])
        if len(sent) == 2:
            _stop(server)

    def point_at(url):  # the app's producer pool is made again from the URL
        app.conf.broker_url, app._pool = url, None
        app.__dict__.pop("amqp", None)

    broker = app.conf.broker_url
    point_at(f"redis://127.0.0.1:{port}/0")
    before_task_publish.connect(gone_after_the_first)
    try:
        with pytest.raises(CommandError) as refused:
            call_command("texts_paginate")
    finally:
        before_task_publish.disconnect(gone_after_the_first)
        point_at(broker)
        if server.poll() is None:
            _stop(server)
    assert sent == [(olds[0].pk,), (olds[1].pk,)]
    assert str(refused.value).startswith(f"The broker refused version {olds[1].pk} (")
    assert str(refused.value).endswith(f"1 version(s) queued before it. When the broker is back, run again with --after {olds[0].pk}.")
    assert list(DocumentText.objects.order_by("pk").values()) == before
    again = io.StringIO()
    call_command("texts_paginate", "--after", str(olds[0].pk), stdout=again)
    assert again.getvalue().strip() == f"Queued 2 version(s) for extraction; next run: --after {olds[2].pk}"


def test_a_match_past_the_opening_of_a_long_text_is_shown_on_its_page(demo):
    """A long text's snippet is cut from its first HEADLINE_CHARS characters,
    or, nothing matching there, around the first place a word of the query is
    written past them: the match on a late page is shown and its page named.
    A word whose stem is not written as such ("happi" of "happy") leaves the
    opening, unmarked, on no page."""
    from documents.models import DocumentText
    from search.selectors.common import HEADLINE_CHARS

    version = _stored(demo, b"placeholder", "long.txt")
    DocumentText.objects.filter(pk=version.pk).delete()
    pages = ["lorem ipsum dolor " * 200] * (HEADLINE_CHARS // 3600 + 2)  # ~3,600 characters a page
    text_set(version, PAGE_BREAK.join([*pages, "The Heliotrope chain escaped the sandbox of build v1.2, a happy accident."]))
    late = _document_hit(demo["reviewer_nsa"], "heliotrope")
    assert "<mark>Heliotrope</mark> chain" in late.snippet
    assert (late.detail.split(" · ")[1], late.text_page) == (f"text of version {version.number}, page {len(pages) + 1}", len(pages) + 1)
    # A lexeme with a pattern's characters in it is looked for as written.
    assert _document_hit(demo["reviewer_nsa"], "v1.2").text_page == len(pages) + 1
    stem = _document_hit(demo["reviewer_nsa"], "happy")
    assert "<mark>" not in stem.snippet and str(stem.snippet).startswith("lorem ipsum")
    assert (stem.detail.split(" · ")[1], stem.text_page) == (f"text of version {version.number}", None)
