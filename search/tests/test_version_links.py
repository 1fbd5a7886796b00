"""A document found by the text of a version links to that version's row on
the document's page (its View and Download); one found by its title links
to the page itself."""

from __future__ import annotations

import re

import pytest

from search.selectors import Filters, search

pytestmark = pytest.mark.django_db


def test_a_text_match_links_to_its_versions_row_and_a_title_match_to_the_page(demo, material, login):
    reader = demo["reviewer_cisa"]
    version = material["zircon"]
    (hit,) = search(user=reader, text="zircon", filters=Filters(kinds=("document",))).sections[0].hits
    assert hit.url == f"/documents/{version.document_id}/#version-{version.number}"
    assert hit.detail.split(" · ")[1] == f"text of version {version.number}"
    client = login(reader, accept_terms_for=[demo["helix"]])
    page = client.get(hit.url.split("#")[0]).content.decode()
    (row,) = re.findall(rf'<tr id="version-{version.number}">(.*?)</tr>', page, re.S)
    assert re.search(rf'href="/documents/versions/{version.pk}/(view|download)/"', row), row  # that version's own links
    title = version.document.title.split()[0]
    by_title = [h for h in search(user=reader, text=title, filters=Filters(kinds=("document",))).sections[0].hits
                if h.title == version.document.title]
    assert by_title and by_title[0].url == f"/documents/{version.document_id}/"
