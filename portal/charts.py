"""Geometry for the portal's server-rendered SVG charts.

Templates draw ``<rect>`` elements from these numbers (attributes only: the
Content-Security-Policy allows no inline style, so colours come from classes
in static/css/charts.css). Every chart also renders its data as a table, so
the numbers are never only in the picture.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """One piece of a horizontal stacked bar, in the chart's units (0..100)."""

    key: str  # the CSS modifier: ``chart-seg-<key>``
    label: str
    value: float
    x: float
    width: float


def stack(parts: list[tuple[str, str, float]], *, scale: float) -> list[Segment]:
    """``parts`` ((key, label, value), in order) laid end to end on a 0..100 axis
    where ``scale`` is the value that spans the whole axis. Empty parts are left out."""
    segments, x = [], 0.0
    for key, label, value in parts:
        if value <= 0 or scale <= 0:
            continue
        width = round(100.0 * value / scale, 3)
        segments.append(Segment(key=key, label=label, value=value, x=round(x, 3), width=width))
        x += width
    return segments


def bar_width(value: float, *, scale: float) -> float:
    """A single bar's length on the 0..100 axis."""
    return round(100.0 * value / scale, 3) if scale > 0 and value > 0 else 0.0
