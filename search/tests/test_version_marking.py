"""A version is read under its own marking. Changing a document's marking
re-marks its current version and those to come; an earlier version keeps
its own (documents.models.DocumentVersion.marking), and so does the search
of its text: the text of a version the reader may not fetch is never found,
snippeted or counted — as the download and the inline view refuse it
(documents.permissions.fetch_refusal)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from documents.models import HandlingMarking
from documents.permissions import fetch_refusal
from documents.services import document_create, version_create
from documents.texts import version_text_extract
from search.selectors import Filters, document_pages_found, search

pytestmark = pytest.mark.django_db


def _documents_found(reader, word):
    (section,) = search(user=reader, text=word, filters=Filters(kinds=("document",))).sections
    return section.count, [hit.pk for hit in section.hits]


def _log_in_two_markings(demo, first_marking, later_marking):
    """A text file's two versions: the first (with "heliotrope") under
    ``first_marking``, the newer (with "revised") under ``later_marking``,
    which becomes the document's; both texts extracted."""
    first = document_create(
        review=demo["atlas"], actor=demo["liaison_northwind"], kind="other", title="Range log", marking=first_marking,
        file=ContentFile(b"Range log: the heliotrope chain escaped the sandbox.", name="log.txt"), original_name="log.txt",
    )
    version_text_extract(version_id=first.pk)
    newer = version_create(
        document=first.document, actor=demo["liaison_northwind"], original_name="log.txt", marking=later_marking,
        file=ContentFile(b"Range log, revised: nothing escaped.", name="log.txt"),
    )
    version_text_extract(version_id=newer.pk)
    return first, newer


def test_an_earlier_view_only_text_file_stays_unfound_after_the_document_allows_downloads(demo):
    view_only = HandlingMarking.objects.create(name="View only (test)", downloads_allowed=False, ordering=30)
    downloadable = HandlingMarking.objects.get(is_default=True)
    assert downloadable.downloads_allowed
    first, newer = _log_in_two_markings(demo, view_only, downloadable)
    first.refresh_from_db()
    first.document.refresh_from_db()
    assert (first.document.marking, newer.marking, first.marking) == (downloadable, downloadable, view_only)

    reader = demo["reviewer_nsa"]
    # The first version can be neither downloaded nor shown in the browser (a text file, view-only)…
    assert fetch_refusal(reader, first, inline=False) == "The marking View only (test) allows viewing only."
    assert fetch_refusal(reader, first, inline=True) == "Only PDFs and images open in the browser."
    # …so its words find nothing, while the newer version's are found as before.
    assert _documents_found(reader, "heliotrope") == (0, [])
    assert _documents_found(reader, "revised") == (1, [first.document_id])
    within = document_pages_found(user=reader, document=first.document, text="heliotrope")
    assert (within.version, within.total) == (newer, 0)


def test_a_snippet_is_shown_under_its_own_versions_marking(demo, login):
    """Text found in an earlier version is labelled with that version's
    marking, not the one the document has since been given — on a search hit
    and on the document's find page."""
    from django.urls import reverse

    first_marking = HandlingMarking.objects.get(is_default=True)
    later_marking = HandlingMarking.objects.create(name="Later marking (test)", short_label="LATER // TEST", ordering=31)
    first, newer = _log_in_two_markings(demo, first_marking, later_marking)
    reader = demo["reviewer_nsa"]

    def detail(word):
        (section,) = search(user=reader, text=word, filters=Filters(kinds=("document",))).sections
        (hit,) = section.hits
        return hit.detail

    assert detail("heliotrope") == f"Other · text of version 1 · {first_marking.short_label or first_marking.name}"
    assert detail("revised") == "Other · text of version 2 · LATER // TEST"
    assert detail('"Range log"') == "Other · LATER // TEST"  # found by its title: the document's own marking
    client = login(reader, accept_terms_for=[demo["atlas"]])
    html = client.get(reverse("document_find", kwargs={"pk": first.document_id}), {"q": "revised"}).content.decode()
    assert "Version 2 is marked <strong>Later marking (test)</strong>." in html
