"""The closing report as a PDF people print and sign (ReportLab platypus).

Layout: a cover block, a table of contents (``TableOfContents``, so the
document is built with ``multiBuild``), then one section per part of the
report. Tables are built from ``Paragraph`` cells with column widths set per
section, so cells wrap at words; long free text (a finding's description, a
sign-off's summary, a certificate's statement) is laid out as a record —
label beside value — instead of squeezed into a table column.

Every page carries the review's handling banner (the ``CUI // PROPIN``
marking the review pages show, ``templates/includes/marking.html``) at the
top and at the bottom, and "Page N of M". The total is known from the
previous build pass: ``multiBuild`` already builds the document more than once
for the table of contents, and ``ReportDocTemplate`` asks for another pass
until the page count it printed is the page count it produced. (The usual
``NumberedCanvas`` trick — holding every page back until the end — would
point every bookmark and contents link at page 1.)

What an automated accessibility check can see: the document title (shown by
the viewer instead of the file name), author, subject, language (``/Lang``),
embedded fonts with Unicode mappings (text can be searched, copied and read
aloud), bookmarks for every section and finding, and a single reading
order. ReportLab's open-source toolkit does not write a structure tree, so
the PDF is not tagged (see README, "Closing report").
"""

from __future__ import annotations

import io
import os
from functools import lru_cache
from xml.sax.saxutils import escape

import reportlab
from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.tableofcontents import TableOfContents

from .report_parts import file_size, label, report_sections

BANNER = "CUI // PROPIN"
BANNER_NOTE = (
    "Controlled Unclassified Information \N{EM DASH} proprietary pre-release material. "
    "Handle under this review's access terms; do not copy or disclose outside the review."
)
LANGUAGE = "en-US"

FONT, BOLD, ITALIC = "PortalSans", "PortalSans-Bold", "PortalSans-Italic"
_fonts_registered = False


def _register_fonts() -> None:
    """Embedded TrueType fonts (Bitstream Vera, shipped with ReportLab): every
    glyph is in the file and mapped to Unicode, unlike the 14 standard fonts."""
    global _fonts_registered
    if _fonts_registered:
        return
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for name, file in ((FONT, "Vera.ttf"), (BOLD, "VeraBd.ttf"), (ITALIC, "VeraIt.ttf"), (FONT + "-BoldItalic", "VeraBI.ttf")):
        pdfmetrics.registerFont(TTFont(name, os.path.join(folder, file)))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, BOLD)
    addMapping(FONT, 0, 1, ITALIC)
    addMapping(FONT, 1, 1, FONT + "-BoldItalic")
    _fonts_registered = True


@lru_cache(maxsize=1)
def _styles():
    body = ParagraphStyle("Body", fontName=FONT, fontSize=9, leading=12, spaceAfter=4)
    return {
        "title": ParagraphStyle("ReportTitle", parent=body, fontName=BOLD, fontSize=17, leading=21, spaceAfter=10),
        "h1": ParagraphStyle("H1", parent=body, fontName=BOLD, fontSize=13, leading=16, spaceBefore=14, spaceAfter=6),
        "h2": ParagraphStyle("H2", parent=body, fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=10, spaceAfter=4),
        "body": body,
        "muted": ParagraphStyle("Muted", parent=body, textColor=colors.HexColor("#4a4f55")),
        "cell": ParagraphStyle("Cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0),
        "head": ParagraphStyle("Head", parent=body, fontName=BOLD, fontSize=8.5, leading=10.5, spaceAfter=0),
        "number": ParagraphStyle("Number", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0, alignment=TA_RIGHT),
        "hash": ParagraphStyle("Hash", parent=body, fontSize=7.5, leading=9, spaceAfter=0, textColor=colors.HexColor("#4a4f55")),
        "toc0": ParagraphStyle("TOC0", parent=body, fontSize=10, leading=14, leftIndent=0),
        "toc1": ParagraphStyle("TOC1", parent=body, fontSize=9, leading=12, leftIndent=16),
    }


def _text(value) -> str:
    """Paragraph markup for a plain value: escaped, line breaks kept."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def build_pdf(report) -> bytes:
    _register_fonts()
    r = report.review
    kind = "Interim report" if report.interim else "Closing report"
    title = f"{kind}: {r.model} review #{r.pk}"
    buf = io.BytesIO()
    doc = ReportDocTemplate(
        buf,
        pagesize=letter,
        leftMargin=0.75 * inch, rightMargin=0.75 * inch, topMargin=0.95 * inch, bottomMargin=0.9 * inch,
        title=title,
        author=f"{settings.PORTAL_NAME} (program office)",
        subject=f"{kind} of the pre-release review of {r.model} ({r.company}), prepared for {report.audience}",
        keywords=["closing report", "pre-release review", BANNER],
        creator=settings.PORTAL_NAME,
        lang=LANGUAGE,
    )
    doc.running_title = title
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0, rightPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_decorate)])
    doc.multiBuild(_story(report, doc.width, title))
    return buf.getvalue()


def _story(report, width: float, title: str) -> list:
    st = _styles()
    r = report.review
    story = [Paragraph(_text(title), st["title"])]
    window = ""
    if r.window_start and r.window_end:
        window = f"{_date(r.window_start)} to {_date(r.window_end)}"
    story.append(_record(width, [
        ("Model", f"{r.model}"),
        ("Company", f"{r.company}"),
        ("Review", f"#{r.pk}, {r.get_status_display().lower()}"),
        ("Review window", window or "Not opened"),
        ("Prepared for", report.audience[:1].upper() + report.audience[1:]),
        ("Generated", f"{report.generated_at:%Y-%m-%d %H:%M} UTC"),
        ("Handling", f"{BANNER}. {BANNER_NOTE}"),
    ]))
    story.append(Spacer(1, 10))
    story.append(Paragraph("Contents", st["h1"]))
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [st["toc0"], st["toc1"]]
    story.append(toc)

    story.append(_heading("Outcome summary", 0))
    story.append(Paragraph(_text(report.outcome_summary or "Not closed yet."), st["body"]))
    story.append(_heading("Recommendations", 0))
    story.append(Paragraph(_text(report.recommendations or "None."), st["body"]))
    for key, section_title, rows in report_sections(report):
        story.append(_heading(section_title, 0))
        if not rows:
            story.append(Paragraph("None.", st["muted"]))
            continue
        story.extend(LAYOUTS[key](rows, width))
    return story


def _date(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def _heading(text: str, level: int):
    st = _styles()
    p = Paragraph(_text(text), st["h1" if level == 0 else "h2"])
    p.toc_level = level
    p.toc_text = text
    return p


def _widths(width: float, headings: list[str], weights: list[float]) -> list[float]:
    """The weights' shares of ``width``, but never narrower than a heading's longest word
    (a column narrower than its heading breaks the heading inside a word)."""
    floor = [max(pdfmetrics.stringWidth(w, BOLD, 8.5) for w in h.split() or [""]) + 2 * PAD + 1 for h in headings]
    widths = [max(f, width * w / sum(weights)) for f, w in zip(floor, weights)]
    excess = sum(widths) - width
    if excess > 0:  # take it from the columns that have room above their floor
        room = [w - f for w, f in zip(widths, floor)]
        widths = [w - excess * r / sum(room) for w, r in zip(widths, room)]
    return widths


PAD = 4


def _table(rows: list[dict], width: float, columns: list[tuple], *, extra=None):
    """A table of ``rows`` with ``columns`` = [(heading, weight, cell)], where ``cell(row)``
    gives a flowable or markup; ``extra(row)``, when given, adds a row spanning every column below each row."""
    st = _styles()
    widths = _widths(width, [h for h, _, _ in columns], [w for _, w, _ in columns])

    def cell(value):
        return value if not isinstance(value, str) else Paragraph(value, st["cell"])

    data = [[Paragraph(_text(h), st["head"]) for h, _, _ in columns]]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa1a9")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ebee")),
    ]
    for row in rows:
        data.append([cell(get(row)) for _, _, get in columns])
        if extra is not None:
            data.append([extra(row)] + [""] * (len(columns) - 1))
            n = len(data) - 1
            style += [("SPAN", (0, n), (-1, n)), ("LINEABOVE", (0, n), (-1, n), 0.25, colors.HexColor("#d5d9de")),
                      ("TOPPADDING", (0, n), (-1, n), 1)]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT", splitInRow=1)
    table.setStyle(TableStyle(style))
    return table


def _record(width: float, pairs: list[tuple[str, str]]):
    """Label beside value, one line per field: for long free text."""
    st = _styles()
    data = [[Paragraph(_text(k), st["head"]), Paragraph(_text(v) or "\N{EM DASH}", st["cell"])] for k, v in pairs]
    table = Table(data, colWidths=[width * 0.22, width * 0.78], hAlign="LEFT", splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9ced4")),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _col(key: str, weight: float, *, number: bool = False):
    def get(row):
        if number:
            return Paragraph(_text(row.get(key)), _styles()["number"])
        return _text(row.get(key, ""))

    return (label(key), weight, get)


def _present(rows: list[dict], columns: list[tuple], keys: list[str]) -> list[tuple]:
    """Only the columns whose key the rows carry (a company's version has no authors)."""
    return [c for c, k in zip(columns, keys) if k in rows[0]]


def _by_status(rows, width):
    return [_table(rows, width, [_col("status", 5), _col("findings", 1, number=True)])]


def _by_taxonomy(rows, width):
    return [_table(rows, width, [_col("taxonomy", 4), _col("catalogue", 3), _col("findings", 1, number=True)])]


def _findings(rows, width):
    keys = ["title", "severity", "status", "agency", "author"]
    overview = _table(
        [{**row, "n": f"F-{i}"} for i, row in enumerate(rows, 1)], width,
        [("No.", 0.6, lambda row: row["n"]), *_present(rows, [_col(k, w) for k, w in zip(keys, (4, 1.2, 2.2, 1, 2))], keys)],
    )
    out = [overview]
    fields = ["severity", "category", "taxonomy", "status", "retest", "agency", "author", "sharing", "description", "evidence", "files", "comments"]
    for i, row in enumerate(rows, 1):
        out.append(_heading(f"F-{i}. {row['title']}", 1))
        out.append(_record(width, [(label(k), row[k]) for k in fields if k in row]))
    return out


def _checklist(rows, width):
    keys = ["agency", "criterion", "mandatory", "answer", "answered_by", "note"]
    return [_table(rows, width, _present(rows, [_col(k, w) for k, w in zip(keys, (1, 3.2, 1.2, 1.4, 1.8, 3))], keys))]


def _documents(rows, width):
    st = _styles()

    def document(row):
        return f"<b>{_text(row['document'])}</b><br/>{_text(row['kind'])}"

    def file(row):
        return f"{_text(row['file'])}<br/>{file_size(row['bytes'])}"

    return [_table(rows, width, [
        (label("document"), 3, document), _col("marking", 2), (label("version"), 1, lambda row: str(row["version"])),
        (label("file"), 2.4, file), _col("uploaded", 1.7), _col("scan", 1.2),
    ], extra=lambda row: Paragraph(f"SHA-256 {_text(row['sha256'])}", st["hash"]))]


def _sign_offs(rows, width):
    out = []
    for row in rows:
        out.append(_heading(f"{row['agency']}: {row['conclusion']}", 1))
        out.append(_record(width, [(label(k), row[k]) for k in ("signed_at", "by", "summary", "recommendations")]))
    return out


def _timeline(rows, width):
    return [_table(rows, width, [_col("at", 1.7), _col("event", 2.2), _col("by", 1.8), _col("comment", 3.5)])]


def _certificates(rows, width):
    out = []
    for row in rows:
        out.append(_heading(f"{row['agency']}: {row['material']}", 1))
        out.append(_record(width, [(label(k), row[k]) for k in row if k not in ("agency", "material")]))
    return out


LAYOUTS = {
    "findings_by_status": _by_status,
    "findings_by_taxonomy": _by_taxonomy,
    "findings": _findings,
    "checklist": _checklist,
    "documents": _documents,
    "sign_offs": _sign_offs,
    "timeline": _timeline,
    "certificates": _certificates,
}


def _decorate(canvas, doc) -> None:
    """The handling banner at the top and the bottom of every page, and "Page N of M"."""
    width, height = doc.pagesize
    left, right = doc.leftMargin, width - doc.rightMargin
    canvas.saveState()
    canvas.setViewerPreference("DisplayDocTitle", "true")
    canvas.setFillColor(colors.black)
    canvas.setFont(BOLD, 10)
    canvas.drawCentredString(width / 2, height - 30, BANNER)
    canvas.setFont(FONT, 6.5)
    canvas.setFillColor(colors.HexColor("#4a4f55"))
    canvas.drawCentredString(width / 2, height - 40, BANNER_NOTE)
    canvas.setStrokeColor(colors.HexColor("#9aa1a9"))
    canvas.setLineWidth(0.5)
    canvas.line(left, height - 46, right, height - 46)
    canvas.line(left, 50, right, 50)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(left, 40, doc.running_title)
    total = doc.page_total or "?"
    canvas.drawRightString(right, 40, f"Page {doc.page} of {total}")
    canvas.setFillColor(colors.black)
    canvas.setFont(BOLD, 10)
    canvas.drawCentredString(width / 2, 24, BANNER)
    canvas.restoreState()


class ReportDocTemplate(BaseDocTemplate):
    """Headings become contents entries and bookmarks; passes repeat until "of M" is right."""

    page_total = 0
    running_title = ""

    def afterFlowable(self, flowable):
        level = getattr(flowable, "toc_level", None)
        if level is None:
            return
        key = f"h{self.seq.nextf('heading')}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(flowable.toc_text, key, level=level, closed=level > 0)
        self.notify("TOCEntry", (level, _text(flowable.toc_text), self.page, key))

    def _allSatisfied(self):
        settled = self.page == self.page_total
        self.page_total = self.page
        return super()._allSatisfied() and settled
