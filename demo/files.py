"""Small demo files, generated in code, for seed_demo."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile


def _pdf(title: str, lines: list[str], *, more_pages: tuple[list[str], ...] = ()) -> bytes:
    """A small PDF: ``title`` and ``lines`` on its first page, then a page per item of ``more_pages``."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792), invariant=1)
    c.setFont("Helvetica-Bold", 16)
    c.drawString(72, 720, title)
    c.setFont("Helvetica", 11)
    for i, line in enumerate(lines):
        c.drawString(72, 690 - 16 * i, line)
    c.showPage()
    for page in more_pages:
        c.setFont("Helvetica", 11)
        for i, line in enumerate(page):
            c.drawString(72, 720 - 16 * i, line)
        c.showPage()
    c.save()
    return buf.getvalue()


def demo_files(model_name: str) -> list[tuple[str, str, str, str, bytes]]:
    """(kind, title, marking name, file name, content) for a demo review's documents."""
    slug = model_name.lower().replace(" ", "-")
    return [
        (
            "model_card",
            f"{model_name} model card",
            "Controlled Unclassified Information",
            f"{slug}-model-card.pdf",
            _pdf(
                f"{model_name} — model card (demo)",
                [
                    "Intended use: general assistance, software engineering, security research.",
                    "Training data: public web, licensed code, synthetic tool-use traces.",
                    "Known limitations: may produce working exploit code for known CVEs.",
                    "Safeguards: refusal training and rate limits; details on page 2.",
                ],
                more_pages=([
                    "Safeguards in detail",
                    "The cyber-misuse classifier screens every request for exploit development against",
                    "unpatched systems; a refused request is logged for the provider's abuse team.",
                ],),
            ),
        ),
        (
            "evaluation_results",
            f"{model_name} cyber evaluation results",
            "Proprietary — pre-release",
            f"{slug}-evals.csv",
            b"benchmark,setting,score\nctf-suite,pass@1,0.42\ncve-repro,pass@5,0.31\nnet-recon,success,0.18\n",
        ),
        (
            "access_instructions",
            f"How to reach {model_name}",
            "Proprietary — pre-release",
            "access.txt",
            (
                f"Access to {model_name} for the review period\n\n"
                "Endpoint: https://eval.example/v1 (allow-listed agency ranges only)\n"
                "Keys: issued per reviewer by the company liaison on request.\n"
            ).encode(),
        ),
    ]


def as_file(content: bytes, name: str) -> ContentFile:
    return ContentFile(content, name=name)
