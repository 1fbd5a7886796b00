"""The benchmark's floor page (bench/floor.py): the base layout for a signed-in
user and no content, only under the benchmark's URLconf."""

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from conftest import force_login_mfa

pytestmark = pytest.mark.django_db


def test_floor_page_exists_only_in_the_benchmarks_urlconf(client, demo):
    with pytest.raises(NoReverseMatch):
        reverse("bench_floor")
    force_login_mfa(client, demo["reviewer_nsa"])
    assert client.get("/__bench__/floor/").status_code == 404


@override_settings(ROOT_URLCONF="bench.urls")
def test_floor_page_is_the_signed_in_layout_without_content(client, demo):
    assert client.get("/__bench__/floor/").status_code == 302  # sign in first, as every page
    force_login_mfa(client, demo["reviewer_nsa"])
    html = client.get("/__bench__/floor/").content.decode()
    assert 'class="gov-banner"' in html and "bell-menu" in html
    main = html.split('<main id="main" class="container main" tabindex="-1">', 1)[1].split("</main>", 1)[0]
    assert main.strip() == ""


@override_settings(ROOT_URLCONF="bench.urls")
def test_measure_interleaved_pairs_every_page_request_with_a_floor_request(client, demo):
    from bench.floor import measure_interleaved

    force_login_mfa(client, demo["reviewer_nsa"])
    seen = []
    result = measure_interleaved(client, {"list": "/reviews/", "own": lambda: seen.append(1)}, rounds=3, warmup=1)
    assert len(result.floor.samples) == 6 and len(seen) == 4  # 3 rounds × 2 pages (+1 warm-up round)
    assert [len(result.pages[n].samples) for n in ("list", "own")] == [3, 3]
    assert [len(result.paired_floor[n].samples) for n in ("list", "own")] == [3, 3]
    assert result.pages["own"].queries == 0 and result.pages["list"].queries > 0 and result.floor.queries > 0
    assert result.ratio("list") == result.pages["list"].p95 / result.paired_floor["list"].p95


def test_timing_counts_the_process_cpu_apart_from_waiting():
    """A page's CPU time is what it costs in this process, not the time spent
    waiting (for PostgreSQL, here a sleep): the sleep counts in the wall time only."""
    import time

    from bench.floor import Timing

    timing = Timing()
    for _ in range(3):
        timing.time(lambda: time.sleep(0.03))
    assert len(timing.samples) == len(timing.cpu) == 3
    assert min(timing.samples) >= 30 and timing.cpu_p50 < 10
