"""Documents built through the services, with small generated files."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from documents import services
from documents.models import DocumentKind, DocumentVersion, HandlingMarking

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def pdf_bytes(text: str = "Model card", pages: int = 1) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792), invariant=1)
    for i in range(pages):
        c.drawString(72, 720, f"{text} — page {i + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def png_bytes() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def marking(name: str = "Proprietary — pre-release") -> HandlingMarking:
    return HandlingMarking.objects.get(name=name)


def make_document(
    review,
    *,
    liaison=None,
    kind: str = DocumentKind.MODEL_CARD,
    name: str = "card.pdf",
    content: bytes | None = None,
    marking_name: str = "Proprietary — pre-release",
    title: str = "",
) -> DocumentVersion:
    liaison = liaison or review.company.liaisons_group.user_set.first()
    liaison = type(liaison).objects.select_related("membership").get(pk=liaison.pk)
    return services.document_create(
        review=review,
        actor=liaison,
        kind=kind,
        title=title,
        marking=marking(marking_name),
        file=upload(name, pdf_bytes() if content is None else content),
        original_name=name,
    )
