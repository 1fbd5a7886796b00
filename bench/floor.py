"""The floor: what any signed-in page costs before it has content, measured
in the same run as the pages it is compared with.

The machine is shared and noisy: absolute milliseconds drift between runs
(and within one). A page's p95 divided by the floor's p95, both sampled
interleaved (floor, page, floor, page …) in the same rounds, drifts much
less, so the targets are written as "within N× the floor". Each page's
ratio is to the floor requests made right before its own (as many
samples, at the same moments), so one page's bad moment is not compared
with the whole run's floor.

The floor page (``bench/urls.py``, ``/__bench__/floor/``) renders
``base.html`` — the government banner, the header with the bell and its
newest notifications, the menus — for the signed-in user through every
middleware (session, MFA, time zone, terms, CSP …), with an empty content
block. It exists only under ``bench.settings`` (``ROOT_URLCONF =
"bench.urls"``): never a product URL.

Use (``bench pages`` does; ``bench search`` can)::

    from bench.floor import measure_interleaved, emit_interleaved
    from bench.people import signed_in

    client = signed_in(user)
    result = measure_interleaved(client, {
        "review_list": "/reviews/",                         # GET, must answer 200
        "search": lambda: client.get("/search/?q=x", HTTP_HX_REQUEST="true"),  # any callable
    }, rounds=30)
    result.pages["review_list"].p95, result.floor.p95, result.ratio("review_list")  # ratio to its paired floor
    emit_interleaved(emit, "u500", result)   # u500.floor.p95, u500.review_list.p95, u500.review_list.vs_floor …
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

FLOOR_URL = "/__bench__/floor/"


def percentile(values, p: float) -> float:
    """The nearest-rank percentile (p in 0–100)."""
    ordered = sorted(values)
    k = max(0, math.ceil(p / 100 * len(ordered)) - 1)
    return ordered[k]


@dataclass
class Timing:
    """Server time of one page in milliseconds (in-process: templates included, no network).

    ``cpu``: the process's CPU time of each request (every thread's, so a
    search's kinds read side by side count too; not PostgreSQL's): what the
    page costs in Python, apart from waiting for the database."""

    samples: list[float] = field(default_factory=list)
    queries: int | None = None
    cpu: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def cpu_p50(self) -> float:
        return statistics.median(self.cpu)

    def time(self, call) -> None:
        """One sample of ``call``: its wall time and the process's CPU time."""
        cpu, t = time.process_time(), time.perf_counter()
        call()
        self.samples.append((time.perf_counter() - t) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)


@dataclass
class Interleaved:
    floor: Timing  # every floor sample of the run
    pages: dict[str, Timing]
    paired_floor: dict[str, Timing]  # per page: the floor requests made just before its own

    def ratio(self, name: str) -> float:
        """``name``'s p95 over the p95 of the floor requests paired with it
        (the one just before each of its requests): the same number of
        samples, taken at the same moments."""
        return self.pages[name].p95 / self.paired_floor[name].p95


def _request(client, target) -> Callable[[], object]:
    if callable(target):
        return target

    def get():
        response = client.get(target)
        assert response.status_code == 200, (target, response.status_code)
        return response

    return get


def measure_interleaved(
    client,
    pages: Mapping[str, str | Callable[[], object]],
    *,
    floor_url: str = FLOOR_URL,
    rounds: int = 30,
    warmup: int = 6,
) -> Interleaved:
    """Each page ``rounds`` times and the floor before every one of them.

    ``client``: a signed-in ``django.test.Client`` (``bench.people.signed_in``);
    ``pages``: name → a URL (GET through ``client``, must answer 200) or a
    callable making the request itself (and raising on a wrong answer).
    Every round visits all pages, in an order rotated by one each round,
    each right after a floor request, so page and floor share the machine's
    moment. The first measured round also counts each page's queries.
    ``warmup`` unmeasured rounds go first (caches, connections, templates,
    and PostgreSQL's plan cache: a statement prepared on the connection is
    planned for its values on its first five runs and gets its generic plan
    on the sixth — ``portal.statements``' kept statements, pages about one
    review — so the steady state starts there).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    calls = {name: _request(client, target) for name, target in pages.items()}
    floor_call = _request(client, floor_url)
    names = list(calls)
    floor = Timing()
    timings = {name: Timing() for name in names}
    paired = {name: Timing() for name in names}
    for _ in range(warmup):
        for name in names:
            floor_call()
            calls[name]()
    for i in range(rounds):
        shift = i % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            for timing, call in ((floor, floor_call), (timings[name], calls[name])):
                if timing.queries is None:
                    with CaptureQueriesContext(connection) as ctx:
                        timing.time(call)
                    timing.queries = len(ctx.captured_queries)
                else:
                    timing.time(call)
            paired[name].samples.append(floor.samples[-1])
    return Interleaved(floor=floor, pages=timings, paired_floor=paired)


def emit_interleaved(emit, prefix: str, result: Interleaved) -> None:
    """``prefix.floor.{p50,p95,cpu_p50,queries}`` and per page
    ``prefix.name.{p50,p95,cpu_p50,queries,vs_floor,cpu_vs_floor}``
    (``cpu_vs_floor``: the page's CPU p50 over the floor's whole run's)."""
    for name, timing in (("floor", result.floor), *result.pages.items()):
        emit(f"{prefix}.{name}.p50", round(timing.p50, 1), "ms")
        emit(f"{prefix}.{name}.p95", round(timing.p95, 1), "ms")
        emit(f"{prefix}.{name}.cpu_p50", round(timing.cpu_p50, 1), "ms")
        emit(f"{prefix}.{name}.queries", timing.queries, "queries")
        if name != "floor":
            emit(f"{prefix}.{name}.vs_floor", round(result.ratio(name), 2), "x")
            emit(f"{prefix}.{name}.cpu_vs_floor", round(timing.cpu_p50 / result.floor.cpu_p50, 2), "x")
