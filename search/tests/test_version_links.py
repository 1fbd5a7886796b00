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


def test_a_finding_found_by_a_comment_links_to_the_newest_comment_its_reader_may_read(demo, login):
    """The snippet and link of a finding found by its comments come from the
    newest matching comment the reader may read: NSA's internal comment for
    NSA and the program office, the older shared one for CISA, who sees the
    finding but never NSA's internal comments."""
    from findings import services as finding_services
    from findings.models import FindingCategory

    finding = finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], title="Relay of prompts", category=FindingCategory.objects.first(),
        severity="low", description="Prompts reach a second model.",
    )
    finding_services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="agencies")
    shared = finding_services.finding_comment(finding_id=finding.pk, actor=demo["lead_nsa"], body="The pumice samples show it.", internal=False)
    internal = finding_services.finding_comment(
        finding_id=finding.pk, actor=demo["reviewer_nsa"], body="Our own pumice harness confirms it.", internal=True,
    )
    expected = {"reviewer_nsa": internal, "admin": internal, "reviewer_cisa": shared, "lead_cisa": shared}
    for role, comment in expected.items():
        (hit,) = search(user=demo[role], text="pumice", filters=Filters(kinds=("finding",))).sections[0].hits
        assert hit.url == f"/findings/{finding.pk}/#comment-{comment.pk}", role
        assert str(hit.snippet).startswith("Comment: "), (role, hit.snippet)
        assert ("harness" in hit.snippet) == (comment == internal), (role, hit.snippet)
    (own,) = search(user=demo["reviewer_cisa"], text="relay", filters=Filters(kinds=("finding",))).sections[0].hits
    assert own.url == f"/findings/{finding.pk}/"  # found by its own title: the finding's page
    page = login(demo["reviewer_cisa"], accept_terms_for=[demo["atlas_mini"]]).get(f"/findings/{finding.pk}/").content.decode()
    (item,) = re.findall(rf'<li id="comment-{shared.pk}">(.*?)</li>', page, re.S)
    assert "The pumice samples show it." in item
    assert f'id="comment-{internal.pk}"' not in page


def test_a_finding_found_by_an_evidence_files_text_links_to_that_file(demo, material, login):
    """Its snippet names the file and shows the text that matched; its link opens
    the finding at that file's row, where its download is."""
    from findings.models import FindingEvidence

    finding = material["pyrite"]
    evidence = FindingEvidence.objects.get(finding=finding)
    reader = demo["reviewer_nsa"]
    (hit,) = search(user=reader, text="pyrite", filters=Filters(kinds=("finding",))).sections[0].hits
    assert hit.url == f"/findings/{finding.pk}/#evidence-{evidence.pk}"
    assert str(hit.snippet).startswith("Evidence file pyrite-log.txt: ") and "<mark>pyrite</mark>" in hit.snippet
    page = login(reader, accept_terms_for=[demo["atlas_mini"]]).get(f"/findings/{finding.pk}/").content.decode()
    (item,) = re.findall(rf'<li class="evidence-file" id="evidence-{evidence.pk}">(.*?)</li>', page, re.S)
    assert f"/findings/evidence/{evidence.pk}/download/" in item
