"""The closing report's PDF is a document people print and sign: read back with pypdf."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader

from documents.models import DocumentKind, HandlingMarking
from documents.services import document_create
from exports.reports import report_for, report_pdf
from findings.models import FindingStatus, Sharing
from reviews.models import TIMELINE_LABELS, ReviewStatus
from reviews.tests.factories import close_review
from rfis import services as rfi_services

pytestmark = pytest.mark.django_db

LONG_TITLE = "Supplementary adversarial robustness methodology, red-team transcripts and independent replication appendix"
BANNER = "CUI // PROPIN"


@pytest.fixture
def closed_with_everything(demo):
    """Atlas-2 with a blocking question answered (the clock stopped and resumed), a document
    with a long title, a finding shared with the company, closed by NSA's lead."""
    atlas = demo["atlas"]
    rfi = rfi_services.rfi_create(
        review_id=atlas.pk, actor=demo["reviewer_nsa"], subject="Sandbox egress rules",
        question="Which hosts could the model reach during the CTF runs?", blocking=True,
    )
    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Only the lab range.")
    document_create(
        review=atlas, actor=demo["liaison_northwind"], kind=DocumentKind.EVALUATION_RESULTS, title=LONG_TITLE,
        marking=HandlingMarking.objects.get(is_default=True), file=ContentFile(b"run,score\n1,0.5\n", name="appendix_b.csv"),
        original_name="appendix_b.csv",
    )
    return close_review(atlas, demo["lead_nsa"], outcome_summary="Release with the egress fix.", recommendations="Re-test.")


def _pages(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


def test_report_pdf_every_page_has_both_banners_and_page_n_of_m(closed_with_everything, demo):
    _, pages = _pages(report_pdf(report_for(review=closed_with_everything, user=demo["lead_nsa"])))
    assert len(pages) >= 3
    for n, text in enumerate(pages, 1):
        assert f"Page {n} of {len(pages)}" in text, n
        # The banner is drawn twice on every page: above the text and below it.
        assert text.count(BANNER) >= 2, n
        assert "Controlled Unclassified Information" in text, n


def test_report_pdf_shows_labels_not_codes(closed_with_everything, demo):
    assert closed_with_everything.transitions.filter(name__in=["clock_stop", "clock_resume", "create"]).count() == 3
    _, pages = _pages(report_pdf(report_for(review=closed_with_everything, user=demo["lead_nsa"])))
    text = " ".join(" ".join(pages).split())  # a heading may wrap between its words
    for shown in ("Clock stopped", "Clock resumed", "Draft created", "Review closed", "Evaluation results", "Virus scan", "Answered by"):
        assert shown in text, shown
    # Every timeline code (create, clock_stop, ...) and every stored value that is not a word (in_review, model_card, ...).
    values = {*ReviewStatus.values, *DocumentKind.values, *FindingStatus.values, *Sharing.values}
    codes = {*TIMELINE_LABELS, *(v for v in values if "_" in v), "answered_by", "certified_at", "signed_at", "sha256"}
    words = set(re.findall(r"[A-Za-z0-9_.-]+", text))
    # A file name keeps its own spelling (appendix_b.csv); nothing else is a code.
    assert {w for w in words if w in codes or ("_" in w and w != "appendix_b.csv")} == set()


def test_report_pdf_has_contents_bookmarks_title_and_language(closed_with_everything, demo):
    reader, pages = _pages(report_pdf(report_for(review=closed_with_everything, user=demo["liaison_northwind"])))
    review = closed_with_everything
    assert reader.metadata.title == f"Closing report: {review.model} review #{review.pk}"
    assert reader.metadata.author == "Frontier Review Portal (program office)"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-US"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712 (a PDF boolean)
    contents = reader.pages[0].extract_text(extraction_mode="layout")  # as laid out: title, dot leaders, page
    assert "Contents" in contents
    sections = ["Outcome summary", "Recommendations", "Findings by status", "Findings by taxonomy", "Findings", "Readiness checklist",
                "Documents received (SHA-256 of each version)", "Agencies' sign-offs", "Timeline", "Return-or-destroy certificates"]
    for title in sections:
        assert re.search(rf"{re.escape(title)} +[ .]*\d+\n", contents), title  # its line in the contents, with its page
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline == sections  # the bookmarks, for readers that navigate by them


def test_report_pdf_tables_wrap_at_words(closed_with_everything, demo):
    _, pages = _pages(report_pdf(report_for(review=closed_with_everything, user=demo["lead_nsa"])))
    text = "\n".join(pages)
    # Every word of the long title comes out whole (the old table broke cells letter by letter).
    words = set(re.findall(r"\S+", text))
    for word in ("Supplementary", "adversarial", "robustness", "methodology,", "red-team", "transcripts", "independent", "replication"):
        assert word in words, word
    for heading in ("Document", "Marking", "Version", "Uploaded", "Mandatory", "Criterion"):
        assert heading in words, heading
    version = closed_with_everything.documents.get(title=LONG_TITLE).versions.get()
    assert f"SHA-256 {version.sha256}" in text  # the hash on one line, under its document


def test_report_pdf_names_people_only_to_their_own(closed_with_everything, demo):
    _, company = _pages(report_pdf(report_for(review=closed_with_everything, user=demo["liaison_northwind"])))
    _, nsa = _pages(report_pdf(report_for(review=closed_with_everything, user=demo["lead_nsa"])))
    assert "Lee Lead" not in "".join(company) and "Riley" not in "".join(company)
    assert "Lee Lead" in "".join(nsa)


def test_report_pdf_splits_a_finding_longer_than_a_page(closed_with_everything, demo):
    """A description taller than a page flows on to the next page instead of failing the build."""
    from exports.reports import Report

    report = report_for(review=closed_with_everything, user=demo["lead_nsa"])
    long = ("The model chained three tool calls to reach the router's admin interface. " * 30 + "\n") * 6
    report = Report(**{**report.__dict__, "findings": [{**report.findings[0], "description": long, "title": "Long finding"}]})
    _, pages = _pages(report_pdf(report))
    finding_pages = [n for n, text in enumerate(pages, 1) if "router's admin interface" in text]
    assert len(finding_pages) >= 2 and finding_pages == list(range(finding_pages[0], finding_pages[-1] + 1))
