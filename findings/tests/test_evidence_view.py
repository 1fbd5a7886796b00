"""An evidence file opened in the browser: a PDF or an image, for exactly
those who see its finding, under the file's own marking — a view-only
marking's only way to it — and at a page (``?page=N``, on to ``#page=N``)
from a search hit. The finding's page offers only what will be served."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from documents.models import DocumentAccess, HandlingMarking
from documents.tests.factories import marking, pdf_bytes, upload
from findings import services
from findings.models import FindingCategory

pytestmark = pytest.mark.django_db


def _finding(demo):
    """An NSA finding on Atlas-2 (NSA alone takes part), internal."""
    return services.finding_create(
        review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="Sandbox escape",
        category=FindingCategory.objects.first(), severity="high", description="The agent left the sandbox.",
    )


def _view_only():
    return HandlingMarking.objects.create(name="View only (evidence test)", downloads_allowed=False, ordering=30)


def _attach(demo, finding, name: str, content: bytes, content_type: str, under=None):
    return services.evidence_add(
        finding_id=finding.pk, actor=demo["reviewer_nsa"], file=upload(name, content, content_type), original_name=name,
        marking=under or marking(),
    )


def _buttons(html: str, evidence) -> dict[str, str]:
    """The evidence row's links, by their text."""
    row = re.search(rf'<li class="evidence-file" id="evidence-{evidence.pk}">(.*?)</li>', html, re.S).group(1)
    return {text: href for href, text in re.findall(r'<a class="btn[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', row)}


def test_a_view_only_pdf_is_viewed_in_the_browser_and_never_downloaded(demo, login):
    """Before, a view-only evidence file had only a Download button, which was
    refused: nobody could open it. Now it has View (and no Download), and the
    view serves it inline, recorded as viewed."""
    finding = _finding(demo)
    evidence = _attach(demo, finding, "run.pdf", pdf_bytes("Lab run"), "application/pdf", under=_view_only())
    client = login(demo["lead_nsa"], accept_terms_for=[demo["atlas"]])
    page = client.get(reverse("finding_detail", kwargs={"pk": finding.pk})).content.decode()
    view = reverse("finding_evidence_view", kwargs={"pk": evidence.pk})
    assert _buttons(page, evidence) == {"View": view}
    opened = client.get(view, REMOTE_ADDR="10.1.2.6")
    assert (opened.status_code, opened["Content-Type"], opened["Content-Disposition"].split(";")[0]) == (200, "application/pdf", "inline")
    assert b"".join(opened.streaming_content).startswith(b"%PDF")
    assert list(DocumentAccess.objects.values_list("user__email", "action", "client_address")) == [
        ("lead.nsa@agency.example", "view", "10.1.2.6"),
    ]
    api = APIClient()
    api.force_authenticate(demo["lead_nsa"])
    (row,) = api.get(f"/api/v1/findings/{finding.pk}/").json()["attachments"]
    assert (row["view_url"], row["file_name"]) == (view, "run.pdf")
    refused = client.get(reverse("finding_evidence_download", kwargs={"pk": evidence.pk}))
    assert refused["Location"] == reverse("finding_detail", kwargs={"pk": finding.pk}) + f"#evidence-{evidence.pk}"
    assert DocumentAccess.objects.count() == 1


def test_a_downloadable_pdf_has_both_and_a_text_file_only_download(demo, login):
    finding = _finding(demo)
    pdf = _attach(demo, finding, "run.pdf", pdf_bytes("Lab run"), "application/pdf")
    text = _attach(demo, finding, "log.txt", b"step 1\n", "text/plain")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    page = client.get(reverse("finding_detail", kwargs={"pk": finding.pk})).content.decode()
    assert _buttons(page, pdf) == {
        "View": reverse("finding_evidence_view", kwargs={"pk": pdf.pk}),
        "Download": reverse("finding_evidence_download", kwargs={"pk": pdf.pk}),
    }
    assert _buttons(page, text) == {"Download": reverse("finding_evidence_download", kwargs={"pk": text.pk})}
    # A text file does not open in the browser: refused, back to its row, nothing served.
    refused = client.get(reverse("finding_evidence_view", kwargs={"pk": text.pk}))
    assert refused["Location"] == reverse("finding_detail", kwargs={"pk": finding.pk}) + f"#evidence-{text.pk}"
    assert not DocumentAccess.objects.exists()


def test_a_view_only_text_file_says_why_it_cannot_be_opened(demo, login):
    finding = _finding(demo)
    evidence = _attach(demo, finding, "log.txt", b"step 1\n", "text/plain", under=_view_only())
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    page = client.get(reverse("finding_detail", kwargs={"pk": finding.pk})).content.decode()
    assert _buttons(page, evidence) == {}
    assert "Only PDFs and images open in the browser. The marking View only (evidence test) allows viewing only." in page


def test_a_pdf_waiting_for_its_scan_offers_nothing_and_says_so(demo, login):
    from documents.models import DocumentVersion

    finding = _finding(demo)
    evidence = _attach(demo, finding, "run.pdf", pdf_bytes("Lab run"), "application/pdf")
    DocumentVersion.objects.filter(document=evidence.document).update(scan_status="pending")
    client = login(demo["lead_nsa"], accept_terms_for=[demo["atlas"]])
    page = client.get(reverse("finding_detail", kwargs={"pk": finding.pk})).content.decode()
    assert _buttons(page, evidence) == {}
    assert page.count("This version is waiting for its virus scan; it opens once the scan finds it clean.") == 1
    assert client.get(reverse("finding_evidence_view", kwargs={"pk": evidence.pk})).status_code == 302
    assert not DocumentAccess.objects.exists()


def test_opening_at_a_page_goes_on_to_the_page_after_every_rule_and_a_step_up(demo, login):
    from accounts.tests.test_step_up import assert_a_stale_sign_in_steps_up_back_to
    from documents.models import DocumentVersion

    finding = _finding(demo)
    evidence = _attach(demo, finding, "run.pdf", pdf_bytes("Lab run", pages=3), "application/pdf")
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    view = reverse("finding_evidence_view", kwargs={"pk": evidence.pk})
    onward = client.get(view, {"page": 3})
    assert (onward.status_code, onward["Location"]) == (302, f"{view}#page=3")
    assert not DocumentAccess.objects.exists()  # nothing served yet
    for odd in ("0", "abc", "100001"):
        assert client.get(view, {"page": odd})["Content-Type"] == "application/pdf", odd
    assert DocumentAccess.objects.count() == 3

    DocumentVersion.objects.filter(document=evidence.document).update(marking=_view_only())
    assert_a_stale_sign_in_steps_up_back_to(client, f"{view}?page=3")
    assert client.get(f"{view}?page=3")["Location"] == f"{view}#page=3"


@pytest.mark.parametrize("files", [1, 3])
def test_the_finding_page_asks_no_more_with_more_files(demo, login, files, django_assert_num_queries):
    finding = _finding(demo)
    for n in range(files):
        _attach(demo, finding, f"run{n}.pdf", pdf_bytes("Lab run"), "application/pdf", under=_view_only() if n == 0 else None)
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    url = reverse("finding_detail", kwargs={"pk": finding.pk})
    client.get(url)
    with django_assert_num_queries(FINDING_PAGE_QUERIES):
        page = client.get(url).content.decode()
    assert page.count(">View</a>") == files and page.count(">Download</a>") == files - 1


FINDING_PAGE_QUERIES = 17  # the page's own; the files' versions and their markings come in one prefetch
