"""Answers carry attachments, stored as documents of the review."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Document, DocumentVersion
from rfis.models import RfiMessage, RfiStatus

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_answer_with_attachments_stores_documents(demo, login):
    rfi = demo["atlas"].rfis.get()
    client = login(demo["liaison_northwind"])
    response = client.post(
        reverse("rfi_answer", kwargs={"pk": rfi.pk}),
        {
            "answer-body": "New credentials attached.",
            "answer-attachments": [
                SimpleUploadedFile("creds.txt", b"user: reviewer\nrotate daily\n", content_type="text/plain"),
                SimpleUploadedFile("runbook.pdf", PDF, content_type="application/pdf"),
            ],
        },
    )
    assert response.status_code == 302
    rfi.refresh_from_db()
    assert rfi.status == RfiStatus.ANSWERED
    answer = rfi.messages.get(kind=RfiMessage.Kind.ANSWER)
    docs = list(answer.attachments.order_by("title"))
    assert [d.title for d in docs] == [f"RFI #{rfi.pk} answer: creds.txt", f"RFI #{rfi.pk} answer: runbook.pdf"]
    assert all(d.review_id == demo["atlas"].pk for d in docs)
    assert DocumentVersion.objects.filter(document__in=docs).count() == 2
    # The reviewer who asked sees the links on the RFI page.
    page = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]]).get(reverse("rfi_detail", kwargs={"pk": rfi.pk}))
    assert reverse("document_detail", kwargs={"pk": docs[0].pk}) in page.content.decode()


def test_refused_attachment_refuses_the_whole_answer(demo, login):
    rfi = demo["atlas"].rfis.get()
    documents_before = Document.objects.count()
    client = login(demo["liaison_northwind"])
    response = client.post(
        reverse("rfi_answer", kwargs={"pk": rfi.pk}),
        {
            "answer-body": "See attached.",
            "answer-attachments": [
                SimpleUploadedFile("ok.txt", b"fine\n", content_type="text/plain"),
                SimpleUploadedFile("empty.txt", b"", content_type="text/plain"),
            ],
        },
        follow=True,
    )
    assert "empty.txt" in response.content.decode()
    rfi.refresh_from_db()
    assert rfi.status == RfiStatus.OPEN
    assert not rfi.messages.filter(kind=RfiMessage.Kind.ANSWER).exists()
    assert Document.objects.count() == documents_before
