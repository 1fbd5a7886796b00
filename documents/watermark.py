"""Stamping each page of a PDF with who downloaded it, at download time (pypdf + reportlab)."""

from __future__ import annotations

import io
import tempfile

from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas


def _overlay(width: float, height: float, text: str):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setFont("Helvetica", 7)
    c.setFillGray(0.35)
    c.drawString(18, 10, text)
    c.drawString(18, height - 14, text)
    c.save()
    buf.seek(0)
    return PdfReader(buf).pages[0]


def stamp(source, text: str):
    """A temporary file holding ``source`` (a PDF file object) with ``text`` on every page."""
    writer = PdfWriter(clone_from=source)
    overlays: dict[tuple[float, float], object] = {}
    for page in writer.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        if size not in overlays:
            overlays[size] = _overlay(*size, text)
        page.merge_page(overlays[size])
    writer.add_metadata({"/Subject": text})
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    writer.write(out)
    out.seek(0)
    return out
