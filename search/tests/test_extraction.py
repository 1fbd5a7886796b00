"""Document text for search: extracted after the scan passes, within limits;
an encrypted or malformed PDF is refused and recorded, the version untouched."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile

from demo.files import _pdf
from documents.models import DocumentText, DocumentVersion, HandlingMarking
from documents.services import document_create
from documents.texts import version_text_extract
from search.selectors import search

pytestmark = pytest.mark.django_db


def _store(demo, content: bytes, name: str) -> DocumentVersion:
    return document_create(
        review=demo["atlas"], actor=demo["liaison_northwind"], kind="other", title=f"Upload {name}",
        marking=HandlingMarking.objects.get(is_default=True), file=ContentFile(content, name=name), original_name=name,
    )


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf("Secret", ["A heliotrope line."]))))
    writer.encrypt(user_password="open-sesame", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_extract_pdf_text_makes_the_version_searchable(demo):
    version = _store(demo, _pdf("Range report", ["The heliotrope exploit chain worked twice."]), "range.pdf")
    row = version_text_extract(version_id=version.pk)
    assert (row.status, row.pages, row.truncated) == ("extracted", 1, False)
    assert "heliotrope exploit chain" in row.text
    # The phrase index is written with the vector: a quoted phrase finds it too.
    assert [s.kind for s in search(user=demo["reviewer_nsa"], text='"heliotrope exploit"').sections if s.count] == ["document"]
    [section] = [s for s in search(user=demo["reviewer_nsa"], text="heliotrope").sections if s.count]
    assert section.kind == "document" and section.hits[0].url.endswith(f"/documents/{version.document_id}/#version-{version.number}")
    # Idempotent: running it again replaces the row, nothing more.
    version_text_extract(version_id=version.pk)
    assert DocumentText.objects.filter(version=version).count() == 1


@pytest.mark.parametrize(
    "content, reason",
    [
        (_encrypted_pdf(), "The PDF is encrypted, so its text cannot be read for search."),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF garbage", "malformed"),
    ],
    ids=["encrypted", "malformed"],
)
def test_extract_refuses_an_unreadable_pdf_and_leaves_the_version_alone(demo, content, reason):
    version = _store(demo, content, "report.pdf")
    assert version.content_type == "application/pdf"
    before = DocumentVersion.objects.filter(pk=version.pk).values().get()
    row = version_text_extract(version_id=version.pk)
    assert row.status == "refused" and reason in row.reason and row.text == ""
    assert DocumentText.objects.get(pk=version.pk).status == "refused"
    assert DocumentVersion.objects.filter(pk=version.pk).values().get() == before  # scan state, file, all unchanged


def test_extract_keeps_within_the_page_limit(demo, settings):
    settings.PORTAL_SEARCH_TEXT_MAX_PAGES = 1
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for word in ("firstpage", "secondpage"):
        c.drawString(72, 720, f"This is the {word}.")
        c.showPage()
    c.save()
    row = version_text_extract(version_id=_store(demo, buf.getvalue(), "two.pdf").pk)
    assert (row.status, row.pages, row.truncated) == ("extracted", 2, True)
    assert "firstpage" in row.text and "secondpage" not in row.text


def test_a_text_whose_vector_would_not_fit_is_indexed_from_its_start(demo):
    """A log of unique tokens (here 120,000 hashes, ~1.6 million characters):
    its vector would pass a tsvector's 1 MiB — which PostgreSQL refuses with
    SQLSTATE 54000, an OperationalError in Django, where the halving waited
    for a DataError and the extraction failed. Now it is indexed from its
    start (halving until it fits), and the text is kept whole."""
    import hashlib

    dump = " ".join(hashlib.sha256(str(n).encode()).hexdigest()[:12] for n in range(120_000))
    row = version_text_extract(version_id=_store(demo, f"Run log kinkajou. {dump} quetzal\n".encode(), "hashes.txt").pk)
    assert row.status == "extracted" and row.text.rstrip().endswith("quetzal")
    assert 1000 < DocumentText.objects.get(pk=row.pk).indexed_chars < len(row.text)
    found = lambda word: [s.count for s in search(user=demo["reviewer_nsa"], text=word).sections if s.kind == "document"]  # noqa: E731
    assert (found("kinkajou"), found("quetzal")) == ([1], [0])  # past the indexed start: not found


def test_extract_skips_a_version_whose_scan_has_not_passed(demo):
    version = _store(demo, b"pending words here\n", "notes.txt")
    DocumentVersion.objects.filter(pk=version.pk).update(scan_status="pending")
    assert version_text_extract(version_id=version.pk) is None
    assert version_text_extract(version_id=10**9) is None  # gone: nothing to do
    assert not DocumentText.objects.filter(version_id=version.pk).exists()


def test_a_version_whose_extraction_message_was_lost_is_offered_again_by_the_sweep(demo):
    """The broker down at commit loses the queued extraction: the periodic sweep
    queues it again once the version is ten minutes old (run here by Celery in
    eager mode), and only versions without a text row (a refused one keeps its
    reason and is not retried; a fresh one may still have its message in flight)."""
    from datetime import timedelta

    from django.utils import timezone

    from documents.tasks import requeue_missing_texts
    from portal.celery import app

    lost = _store(demo, _pdf("Range report", ["The heliotrope exploit chain worked twice."]), "range.pdf")
    refused = _store(demo, _encrypted_pdf(), "locked.pdf")
    version_text_extract(version_id=refused.pk)
    fresh = _store(demo, b"Just uploaded notes.", "fresh.txt")
    DocumentText.objects.filter(version__in=[lost, fresh]).delete()  # as if their messages never arrived
    DocumentVersion.objects.filter(text__isnull=True).exclude(pk__in=[lost.pk, fresh.pk]).update(uploaded_at=timezone.now())
    DocumentVersion.objects.filter(pk__in=[lost.pk, refused.pk]).update(uploaded_at=timezone.now() - timedelta(minutes=11))
    refused_row = DocumentText.objects.filter(version=refused).values().get()

    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        assert requeue_missing_texts() == 1
    finally:
        app.conf.task_always_eager = eager
    assert DocumentText.objects.get(version=lost).status == "extracted"
    assert not DocumentText.objects.filter(version=fresh).exists()
    assert DocumentText.objects.filter(version=refused).values().get() == refused_row
    assert requeue_missing_texts() == 0


def test_an_evidence_files_text_is_extracted_as_evidence_and_finds_its_finding(demo):
    """The extraction marks an evidence file's text (search reads those apart,
    documents 0013) and not a handed-over document's; the finding, internal to
    NSA, is then found by it for NSA and not for CISA, on the same review."""
    from documents.tests.factories import marking, upload
    from findings import services as finding_services
    from findings.models import FindingCategory

    finding = finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], title="Tool misuse", category=FindingCategory.objects.first(),
        severity="low", description="The agent calls tools.",
    )
    evidence = finding_services.evidence_add(
        finding_id=finding.pk, actor=demo["reviewer_nsa"], file=upload("run.pdf", _pdf("Run", ["The cinnabar tool was called."])),
        original_name="run.pdf", marking=marking(),
    )
    version = evidence.document.versions.get()
    DocumentVersion.objects.filter(pk=version.pk).update(scan_status="clean")
    from documents.texts import versions_missing_text

    assert version.pk in versions_missing_text(limit=500, older_than_minutes=0)  # the sweep offers it until its text exists
    assert version_text_extract(version_id=version.pk).evidence is True
    assert version.pk not in versions_missing_text(limit=500, older_than_minutes=0)
    handed_over = _store(demo, _pdf("Card", ["A cinnabar card."]), "card.pdf")
    assert version_text_extract(version_id=handed_over.pk).evidence is False
    found = {s.kind: [h.url for h in s.hits] for s in search(user=demo["reviewer_nsa"], text="cinnabar").sections if s.count}
    assert found["finding"] == [f"/findings/{finding.pk}/#evidence-{evidence.pk}"]
    assert "finding" not in {s.kind for s in search(user=demo["reviewer_cisa"], text="cinnabar").sections if s.count}
