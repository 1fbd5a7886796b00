"""The program office's charts: reviews by state, the window burn-down of
active reviews, question turnaround per agency, findings by severity and agency.

Each chart is read through the models' ``visible_to(user)`` (the program
office sees every review; anyone else would see only their scope) and
comes back as a ``Chart``: the SVG's geometry for
``templates/dashboard/_chart.html`` and the same numbers as a table (every
chart has its data table). A chart is one or two queries whatever the
number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func
from django.utils import timezone
from django.utils.formats import time_format

from findings.models import Finding, Severity
from dashboard.inbox import COUNT_CAP, capped_count, shown
from portal.charts import stack
from portal.scoping import reader_key
from portal.statements import cached_count, cached_rows, cached_values
from reviews.models import ClockStop, Review, ReviewStatus
from reviews.window import window_spans
from rfis.models import InformationRequest

# The SVG's coordinate system (it scales to the card's width).
WIDTH = 560
LABEL_W = 140  # labels right-aligned at LABEL_W - 8
BAR_W = 260  # leaves 160 units for the value after the longest bar
ROW_H = 28
BAR_H = 18
TOP = 6
# Active reviews drawn in the burn-down (nearest the end first); the table says how many there are.
BURN_DOWN_ROWS = 25
# The program office's reviews-by-state, turnaround and findings figures
# aggregate every review, answered question and finding (0.03, 0.15 and 0.07 s
# at agency scale, on each visit): they are kept this long, and each chart says
# as of when.
OFFICE_FIGURES_TTL = 300


@dataclass(frozen=True)
class Bar:
    key: str  # CSS modifier: chart-seg-<key>
    x: float
    width: float
    label: str
    value: float


@dataclass(frozen=True)
class Row:
    label: str
    y: float
    text_y: float
    bars: list[Bar]
    value_text: str
    value_x: float


@dataclass
class Chart:
    key: str
    title: str
    desc: str
    rows: list[Row]
    legend: list[tuple[str, str]]
    columns: list[str]  # the data table's header (first: the row label)
    table: list[list]  # the data table's rows: label, then one value per column
    totals: list | None = None
    note: str = ""
    width: int = WIDTH
    height: int = 0
    empty: str = "Nothing to show yet."
    extra: dict = field(default_factory=dict)
    # The program office's kept figures it is drawn from: (name, as of, the
    # value's repr), or None (drawn from live rows). Equal ``figures``, equal
    # chart: its markup is rendered once per process (chart_svg.chart_card).
    figures: tuple | None = None

    @property
    def label_x(self) -> int:
        return LABEL_W - 8


class KeptChart:
    """A chart drawn from the program office's kept figures: its ``key`` and
    ``figures`` known at once, everything else laid out by ``build`` when
    first asked for. Its markup is kept per figures
    (``chart_svg.chart_card``), so a visit that finds it kept never lays it
    out (the three charts' layouts were ~0.3 ms of every office visit)."""

    def __init__(self, key: str, figures: tuple, build):
        self.key, self.figures, self._build = key, figures, build

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        chart = self.__dict__.get("_chart")
        if chart is None:
            chart = self.__dict__["_chart"] = self._build()
        return getattr(chart, name)


def _kept_or_now(key: str, figures: tuple | None, build) -> Chart | KeptChart:
    """``build()``'s chart, laid out only when needed if it is drawn from kept ``figures``."""
    return build() if figures is None else KeptChart(key, figures, build)


def _layout(key, title, desc, rows_data, *, legend, columns, table, totals=None, note="", empty="", figures=None) -> Chart:
    """``rows_data``: (label, [(seg key, seg label, value)], value text). One scale for every row."""
    scale = max((sum(v for _, _, v in parts) for _, parts, _ in rows_data), default=0)
    rows = []
    for i, (label, parts, value_text) in enumerate(rows_data):
        y = TOP + i * ROW_H
        segments = stack(parts, scale=scale)
        bars = [Bar(s.key, round(LABEL_W + s.x * BAR_W / 100, 2), round(s.width * BAR_W / 100, 2), s.label, s.value) for s in segments]
        end = bars[-1].x + bars[-1].width if bars else LABEL_W
        label = label if len(label) <= 18 else label[:17] + "…"
        rows.append(Row(label=label, y=y, text_y=y + BAR_H - 4, bars=bars, value_text=value_text, value_x=round(end + 6, 2)))
    return Chart(
        key=key, title=title, desc=desc, rows=rows, legend=legend, columns=columns, table=table, totals=totals, note=note,
        height=TOP * 2 + max(len(rows), 1) * ROW_H, empty=empty or "Nothing to show yet.", figures=figures,
    )


def _plural(n, word) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ------------------------------------------------------------ reviews by state
def _state_counts(*, user) -> dict[str, int]:
    return dict(Review.objects.visible_to(user).order_by().values_list("status").annotate(n=Count("pk")))


def reviews_by_state(*, user, kept: dict | None = None) -> Chart | KeptChart:
    counts, at = _program_wide("states", user=user, kept=kept)
    figures = _figures("states", counts, at)

    def build() -> Chart:
        rows = [(label, [(value, label, counts.get(value, 0))], str(counts.get(value, 0))) for value, label in ReviewStatus.choices]
        table = [[label, counts.get(value, 0)] for value, label in ReviewStatus.choices]
        total = sum(counts.values())
        return _layout(
            "states", "Reviews by state", f"{_plural(total, 'review')}: "
            + ", ".join(f"{n} {label.lower()}" for label, n in table) + ".",
            rows, legend=[], columns=["State", "Reviews"], table=table, totals=["All reviews", total], note=_as_of(at),
            figures=figures,
        )

    return _kept_or_now("states", figures, build)


# -------------------------------------------------------------- window burn-down
def window_burn_down(*, user, now: datetime | None = None) -> Chart:
    """Each active review's window: days elapsed on the clock, stopped, remaining (or past the end)."""
    return window_burn_down_ahead(user=user, now=now)()


def window_burn_down_ahead(*, user, now: datetime | None = None, ahead=None):
    """``window_burn_down``, its rows sent now on ``ahead`` (``portal.statements.Ahead``:
    the dashboard's second connection) where given: a function drawing the chart."""
    now = now or timezone.now()

    def active_reviews(now):
        return Review.objects.visible_to(user).filter(
            status=ReviewStatus.IN_REVIEW, window_start__isnull=False, window_end__isnull=False
        )

    # Each statement compiled once per reader and kept (portal.statements; "now"
    # is the scoping clock's slot): building and compiling the three querysets
    # cost more than PostgreSQL running them (~1.5 of ~3 ms per dashboard).
    key = ("dashboard.charts.burn_down", BURN_DOWN_ROWS, COUNT_CAP, reader_key(user))
    # Counted to COUNT_CAP ("1,000+" beyond: 66,000 active reviews took 19 ms
    # to count on each visit), apart from the rows: COUNT(*) OVER () would build
    # and sort every active review before the first rows came out. On
    # PostgreSQL the count is an InitPlan of the rows' statement (capped_count:
    # run once): one statement, not two.
    def nearest_end(now):
        return active_reviews(now).select_related("model").order_by("window_end", "id")

    if connection.vendor == "postgresql":
        rows_and_count = (
            (*key, "rows_and_count"),
            lambda *, now: nearest_end(now).annotate(active_total=capped_count(active_reviews(now)))[:BURN_DOWN_ROWS],
        )
        read = ahead.rows(*rows_and_count, now=now) if ahead is not None else (lambda: cached_rows(*rows_and_count, now=now))

        def rows_and_total():
            active = read()
            return active, active[0].active_total if active else 0
    else:
        def rows_and_total():
            count = cached_count((*key, "count"), lambda *, now: active_reviews(now).order_by().values("pk")[: COUNT_CAP + 1], now=now)
            return cached_rows((*key, "rows"), lambda *, now: nearest_end(now)[:BURN_DOWN_ROWS], now=now), count

    def draw() -> Chart:
        active, count = rows_and_total()
        return _burn_down_chart(active, count, now=now, key=key)

    return draw


def _burn_down_chart(active: list, count: int, *, now: datetime, key: tuple) -> Chart:
    stops: dict[int, list] = {}
    if active:
        for review_id, started, resumed in cached_values(
            (*key, "stops"),
            lambda *, ids: ClockStop.objects.filter(review_id__any_of=ids).values_list("review_id", "stopped_at", "resumed_at"),
            ids=[r.pk for r in active],
        ):
            stops.setdefault(review_id, []).append((started, resumed))
    rows, table = [], []
    for r in active:
        s = window_spans(review_id=r.pk, window_start=r.window_start, window_end=r.window_end, stops=stops.get(r.pk, []), now=now)
        label = f"{r.model.name} #{r.pk}"
        parts = [("elapsed", "Elapsed", s.elapsed), ("stopped", "Clock stopped", s.stopped),
                 ("remaining", "Remaining", s.remaining), ("overdue", "Past the end", s.overdue)]
        text = f"{s.overdue} d past the end" if s.overdue else f"{s.remaining} d left" + (" (stopped)" if s.clock_stopped else "")
        rows.append((label, parts, text))
        table.append([f"{r.model} review #{r.pk}", s.elapsed, s.stopped, s.remaining, s.overdue])
    note = "" if count <= len(active) else f"The {len(active)} of {shown(count)} active reviews nearest their end."
    return _layout(
        "burn_down", "Window burn-down of active reviews",
        f"{shown(count)} active review{'' if count == 1 else 's'}; for each, the days elapsed on the clock, the days the clock stood, "
        "and the days remaining or past the end.",
        rows,
        legend=[("elapsed", "Elapsed"), ("stopped", "Clock stopped"), ("remaining", "Remaining"), ("overdue", "Past the end")],
        columns=["Review", "Elapsed (days)", "Stopped (days)", "Remaining (days)", "Past the end (days)"],
        table=table, note=note, empty="No review is in review.",
    )


# --------------------------------------------------------------- RFI turnaround
class _Seconds(Func):
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    output_field = FloatField()


class _Percentile(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _percentile_cont(values: list[float], fraction: float) -> float:
    """PostgreSQL's ``percentile_cont`` (linear interpolation), for other databases."""
    values = sorted(values)
    if not values:
        return 0.0
    pos = fraction * (len(values) - 1)
    low = int(pos)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (pos - low)


def _office_key(name: str) -> str:
    return f"dashboard:office:{name}:v1"


def _program_wide(name: str, *, user, kept: dict | None = None):
    """The figure ``OFFICE_FIGURES[name]`` counted from ``user``'s scope, and
    the time it was counted (None: just now, uncached).

    For the program office only (it sees every review, so one entry serves
    every program admin; anyone else's figures are their scope's and are
    computed each time). Recounted every OFFICE_FIGURES_TTL seconds by
    ``office_figures_refresh`` (beat), so no visit waits for them; a visit
    that finds none (no worker, the cache emptied) counts them and keeps
    them OFFICE_FIGURES_TTL seconds; computed when the cache is down.
    ``kept``: the entries ``_office_kept`` read for the whole dashboard."""
    compute = partial(OFFICE_FIGURES[name], user)
    if not user.is_program_admin:
        return compute(), None
    key = _office_key(name)
    if kept is not None:  # read with the others (``_office_kept``): absent there, absent here
        cached = kept.get(key)
    else:
        try:
            cached = cache.get(key)
        except Exception:  # noqa: BLE001 — the cache being down costs speed only
            return compute(), None
    if cached is not None:
        return cached["value"], cached["at"]
    value, at = compute(), timezone.now()
    try:
        cache.set(key, {"value": value, "at": at}, OFFICE_FIGURES_TTL)
    except Exception:  # noqa: BLE001
        return value, None
    return value, at


# The figures the program office's charts share (``_program_wide``), by name: each counted from a user's scope.
OFFICE_FIGURES = {
    "states": lambda user: _state_counts(user=user),
    "turnaround": lambda user: turnaround_stats(user=user),
    "findings": lambda user: _findings_counts(user=user),
}


def office_figures_refresh(*, user) -> list[str]:
    """Recounts the program office's figures (``OFFICE_FIGURES``) from
    ``user``'s scope (a program admin's: every review) and keeps them twice
    OFFICE_FIGURES_TTL, so the next recount (beat, every OFFICE_FIGURES_TTL)
    replaces them before they lapse: at agency scale the three took 0.03,
    0.15 and 0.07 s, paid by whichever office visit came after they lapsed.
    Returns the names kept; nothing is kept while the cache is down (the
    dashboard then counts them itself)."""
    if not user.is_program_admin:
        raise ValueError("the program office's figures are counted from a program admin's scope")
    kept = []
    for name, compute in OFFICE_FIGURES.items():
        value, at = compute(user), timezone.now()
        try:
            cache.set(_office_key(name), {"value": value, "at": at}, 2 * OFFICE_FIGURES_TTL)
        except Exception:  # noqa: BLE001 — the cache being down costs speed only
            continue
        kept.append(name)
    return kept


def _figures(name: str, value, at) -> tuple | None:
    """A chart's ``figures``: what it is drawn from, when that is the kept
    program-wide figure counted at ``at`` (None: counted just now, uncached)."""
    return None if at is None else (name, at, repr(value))


def _as_of(at) -> str:
    if at is None:
        return ""
    return f"Figures as of {time_format(timezone.localtime(at), 'H:i T')}; they are recounted every {OFFICE_FIGURES_TTL // 60} minutes."


def turnaround_stats(*, user) -> list[dict]:
    """Per asking agency: answered questions, the median and 90th-percentile time
    from asking to the company's answer, in seconds. One query."""
    answered = InformationRequest.objects.visible_to(user).filter(answered_at__isnull=False).order_by()
    if connection.vendor == "postgresql":
        seconds = _Seconds(F("answered_at") - F("created_at"))
        return list(
            answered.values(acronym=F("agency__acronym"))
            .annotate(answered=Count("pk"), median=_Percentile(seconds, 0.5), p90=_Percentile(seconds, 0.9))
            .order_by("acronym")
        )
    by_agency: dict[str, list[float]] = {}
    for acronym, asked, done in answered.values_list("agency__acronym", "created_at", "answered_at"):
        by_agency.setdefault(acronym, []).append((done - asked).total_seconds())
    return [
        {"acronym": a, "answered": len(v), "median": _percentile_cont(v, 0.5), "p90": _percentile_cont(v, 0.9)}
        for a, v in sorted(by_agency.items())
    ]


def _d(seconds: float) -> float:
    return round(max(seconds, 0.0) / 86400, 1)


def rfi_turnaround(*, user, kept: dict | None = None) -> Chart | KeptChart:
    stats, at = _program_wide("turnaround", user=user, kept=kept)
    figures = _figures("turnaround", stats, at)

    def build() -> Chart:
        rows, table = [], []
        for s in stats:
            median, p90 = _d(s["median"]), _d(s["p90"])
            rows.append((s["acronym"], [("median", "Median", median), ("p90", "To the 90th percentile", round(p90 - median, 1))],
                         f"{median} d · 90%: {p90} d"))
            table.append([s["acronym"], s["answered"], median, p90])
        return _layout(
            "turnaround", "Question turnaround by asking agency",
            "For each agency, the days from asking a question to the company's answer: the median and the 90th percentile.",
            rows, legend=[("median", "Median"), ("p90", "Up to the 90th percentile")],
            columns=["Asking agency", "Answered questions", "Median (days)", "90th percentile (days)"], table=table,
            note=_as_of(at), empty="No question has been answered yet.", figures=figures,
        )

    return _kept_or_now("turnaround", figures, build)


# ------------------------------------------------------ findings by severity and agency
def _findings_counts(*, user) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for acronym, severity, n in (
        Finding.objects.visible_to(user).order_by().values_list("agency__acronym", "severity").annotate(n=Count("pk"))
    ):
        counts.setdefault(acronym, {})[severity] = n
    return counts


def findings_by_severity(*, user, kept: dict | None = None) -> Chart | KeptChart:
    counts, at = _program_wide("findings", user=user, kept=kept)
    figures = _figures("findings", counts, at)

    def build() -> Chart:
        severities = Severity.choices
        rows, table = [], []
        for acronym in sorted(counts):
            by = counts[acronym]
            total = sum(by.values())
            rows.append((acronym, [(value, label, by.get(value, 0)) for value, label in severities], str(total)))
            table.append([acronym, *(by.get(value, 0) for value, _ in severities), total])
        totals = ["All agencies", *(sum(c.get(value, 0) for c in counts.values()) for value, _ in severities),
                  sum(sum(c.values()) for c in counts.values())]
        return _layout(
            "findings", "Findings by severity and agency",
            "For each agency, its findings stacked by severity, from critical to informational.",
            rows, legend=[(value, label) for value, label in severities],
            columns=["Agency", *(label for _, label in severities), "Total"], table=table, totals=totals,
            note=_as_of(at), empty="No finding has been recorded yet.", figures=figures,
        )

    return _kept_or_now("findings", figures, build)


def _office_kept(user) -> dict | None:
    """The program office's kept figures, read in one round trip (three
    ``cache.get`` cost three, and a Redis client built for each); None for
    anyone else or when the cache is down (each chart then asks on its own)."""
    if not user.is_program_admin:
        return None
    try:
        return cache.get_many([_office_key(name) for name in OFFICE_FIGURES])
    except Exception:  # noqa: BLE001 — the cache being down costs speed only
        return None


def office_charts(*, user, now: datetime | None = None) -> list[Chart | KeptChart]:
    return office_charts_ahead(user=user, now=now)()


def office_charts_ahead(*, user, now: datetime | None = None, ahead=None):
    """``office_charts``, the burn-down's rows sent now on ``ahead`` where given
    (``window_burn_down_ahead``): a function giving the four charts."""
    draw_burn_down = window_burn_down_ahead(user=user, now=now, ahead=ahead)

    def charts() -> list[Chart | KeptChart]:
        kept = _office_kept(user)
        return [
            reviews_by_state(user=user, kept=kept),
            draw_burn_down(),
            rfi_turnaround(user=user, kept=kept),
            findings_by_severity(user=user, kept=kept),
        ]

    return charts
