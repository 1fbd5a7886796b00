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


def test_a_question_found_by_an_answer_links_to_that_message_in_its_thread(demo, login):
    from rfis import services as rfi_services
    from rfis.models import RfiMessage

    rfi = rfi_services.rfi_create(review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], subject="Signing keys",
                                  question="Who holds the signing keys?")
    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="The tamarack team holds them in an HSM.")
    answer = RfiMessage.objects.get(rfi=rfi, body__contains="tamarack")
    reader = demo["reviewer_nsa"]
    (hit,) = search(user=reader, text="tamarack", filters=Filters(kinds=("rfi",))).sections[0].hits
    assert hit.url == f"/rfis/{rfi.pk}/#message-{answer.pk}"
    assert str(hit.snippet).startswith("Answer: ")
    (own,) = search(user=reader, text="signing keys", filters=Filters(kinds=("rfi",))).sections[0].hits
    assert own.url == f"/rfis/{rfi.pk}/"  # found by its own subject: the question's page
    page = login(reader, accept_terms_for=[demo["atlas"]]).get(f"/rfis/{rfi.pk}/").content.decode()
    (item,) = re.findall(rf'<li id="message-{answer.pk}">(.*?)</li>', page, re.S)
    assert "The tamarack team holds them in an HSM." in item
