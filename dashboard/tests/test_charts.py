"""The program office's charts and the review page's window bar: they render
with their data tables, the numbers are the data's, and a review out of the
viewer's scope never counts (the program office sees everything)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.charts import findings_by_severity, reviews_by_state, rfi_turnaround, window_burn_down
from reviews import services
from reviews.models import ClockStop, Review
from rfis import services as rfi_services
from rfis.models import InformationRequest

pytestmark = pytest.mark.django_db


def place_windows(demo, now):
    """Atlas-2: 24 days in, 2 of them stopped (resumed), 6 left. Atlas-2 Mini:
    10 days in, its clock stopped a day ago, 20 days left when it stopped. Helix-1: ended 2 days ago."""
    atlas, mini, helix = demo["atlas"], demo["atlas_mini"], demo["helix"]
    Review.objects.filter(pk=atlas.pk).update(window_start=now - timedelta(days=24), window_end=now + timedelta(days=6))
    Review.objects.filter(pk=mini.pk).update(window_start=now - timedelta(days=10), window_end=now + timedelta(days=20))
    Review.objects.filter(pk=helix.pk).update(window_start=now - timedelta(days=32), window_end=now - timedelta(days=2))
    ClockStop.objects.create(review=atlas, rfi=atlas.rfis.first(), stopped_at=now - timedelta(days=10), resumed_at=now - timedelta(days=8))
    ClockStop.objects.create(review=mini, rfi=mini.rfis.first(), stopped_at=now - timedelta(days=1))


def test_reviews_by_state_counts_every_state_for_the_program_office_and_only_the_scope_for_others(demo, fresh_shared_review):
    chart = reviews_by_state(user=demo["admin"])
    assert chart.table == [["Draft", 0], ["Submitted", 1], ["In review", 3], ["Closed", 0], ["Withdrawn", 0]]
    assert chart.totals == ["All reviews", 4]
    # CISA's lead: Helix-1, Atlas-2 Mini and the new shared submission — never NSA's Atlas-2.
    assert reviews_by_state(user=demo["lead_cisa"]).table == [["Draft", 0], ["Submitted", 1], ["In review", 2], ["Closed", 0], ["Withdrawn", 0]]
    assert reviews_by_state(user=demo["liaison_contoso"]).totals == ["All reviews", 1]


def test_window_burn_down_shows_elapsed_stopped_remaining_and_past_the_end_per_active_review(demo):
    now = timezone.now()
    place_windows(demo, now)
    chart = window_burn_down(user=demo["admin"], now=now)
    atlas, mini, helix = demo["atlas"], demo["atlas_mini"], demo["helix"]
    assert chart.table == [
        [f"{helix.model} review #{helix.pk}", 30.0, 0.0, 0.0, 2.0],
        [f"{atlas.model} review #{atlas.pk}", 22.0, 2.0, 6.0, 0.0],
        [f"{mini.model} review #{mini.pk}", 9.0, 1.0, 21.0, 0.0],
    ]
    assert [r.value_text for r in chart.rows] == ["2.0 d past the end", "6.0 d left", "21.0 d left (stopped)"]
    assert [[b.key for b in r.bars] for r in chart.rows] == [["elapsed", "overdue"], ["elapsed", "stopped", "remaining"], ["elapsed", "stopped", "remaining"]]
    # Out of scope never counts: CISA's lead sees Helix-1 and Atlas-2 Mini only.
    assert [row[0] for row in window_burn_down(user=demo["lead_cisa"], now=now).table] == [
        f"{helix.model} review #{helix.pk}", f"{mini.model} review #{mini.pk}",
    ]


def answer_after(rfi, actor, *, days: float, now):
    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=actor, body="Answered.")
    InformationRequest.objects.filter(pk=rfi.pk).update(created_at=now - timedelta(days=20), answered_at=now - timedelta(days=20 - days))


def test_rfi_turnaround_gives_each_agencys_median_and_90th_percentile(demo):
    now = timezone.now()
    mini, liaison = demo["atlas_mini"], demo["liaison_northwind"]
    answer_after(demo["atlas"].rfis.get(), liaison, days=2, now=now)
    answer_after(mini.rfis.get(agency=demo["nsa"]), liaison, days=4, now=now)
    answer_after(mini.rfis.get(agency=demo["cisa"]), liaison, days=1, now=now)
    services.terms_accept(review=mini, user=demo["reviewer_nsa"])
    private = rfi_services.rfi_create(review_id=mini.pk, actor=demo["reviewer_nsa"], subject="NSA only", question="?", private=True)
    answer_after(private, liaison, days=10, now=now)

    # NSA: 2, 4 and 10 days; CISA: 1 day.
    assert rfi_turnaround(user=demo["admin"]).table == [["CISA", 1, 1.0, 1.0], ["NSA", 3, 4.0, 8.8]]
    # CISA's lead sees NSA's shared question on the review they share, not the private one nor Atlas-2's.
    assert rfi_turnaround(user=demo["lead_cisa"]).table == [["CISA", 1, 1.0, 1.0], ["NSA", 1, 4.0, 4.0]]
    assert rfi_turnaround(user=demo["liaison_contoso"]).table == []


def test_findings_by_severity_and_agency_count_only_what_the_viewer_sees(demo):
    admin = findings_by_severity(user=demo["admin"])
    assert admin.columns == ["Agency", "Critical", "High", "Medium", "Low", "Informational", "Total"]
    assert admin.table == [["CISA", 0, 1, 0, 0, 0, 1], ["NSA", 0, 1, 1, 0, 0, 2]]
    assert admin.totals == ["All agencies", 0, 2, 1, 0, 0, 3]
    # NSA's findings are internal to NSA; CISA's is shared with the agencies; none with the company.
    assert findings_by_severity(user=demo["lead_cisa"]).table == [["CISA", 0, 1, 0, 0, 0, 1]]
    assert findings_by_severity(user=demo["reviewer_nsa"]).table == admin.table
    assert findings_by_severity(user=demo["liaison_northwind"]).table == []


def test_program_office_dashboard_renders_each_chart_as_svg_with_its_data_table(demo, login):
    html = login(demo["admin"]).get(reverse("dashboard")).content.decode()
    for key, title in (("states", "Reviews by state"), ("burn_down", "Window burn-down of active reviews"),
                       ("turnaround", "Question turnaround by asking agency"), ("findings", "Findings by severity and agency")):
        figure = html[html.index(f'id="chart-{key}"'):]
        figure = figure[: figure.index("</figure>")]
        assert f"<title id=\"chart-{key}-svg-title\">{title}</title>" in figure or key == "turnaround"
        assert f'<table data-chart="{key}">' in figure
    states = html[html.index('<table data-chart="states">'):]
    states = states[: states.index("</table>")]
    assert '<th scope="row">In review</th><td class="num">3</td>' in states
    assert '<th scope="row">All reviews</th><td class="num">3</td>' in states
    assert ' style="' not in html  # the CSP allows no inline style
    # No answered question yet: the turnaround says so instead of drawing nothing.
    assert "No question has been answered yet." in html


def test_chart_labels_and_tooltips_are_escaped_in_the_svg_and_the_data_table(demo, login):
    """A model's name is the company's text: it reaches the burn-down's label,
    its bars' tooltips and its data table as text, never as markup."""
    now = timezone.now()
    place_windows(demo, now)
    model = demo["atlas"].model
    model.name = '<img src=x onerror="alert(1)"> & Co'
    model.save(update_fields=["name"])
    html = login(demo["admin"]).get(reverse("dashboard")).content.decode()
    figure = html[html.index('id="chart-burn_down"'):]
    figure = figure[: figure.index("</figure>")]
    assert "<img" not in figure
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co"
    label = "&lt;img src=x onerro…"  # cut at 17 characters, then escaped
    assert f'text-anchor="end">{label}</text>' in figure
    assert f"<title>{label}: Elapsed 22.0</title>" in figure
    assert f'<th scope="row">{escaped} {demo["atlas"].model.version} review #{demo["atlas"].pk}</th>' in figure


def test_review_page_shows_the_window_bar_with_its_numbers(demo, login):
    now = timezone.now()
    place_windows(demo, now)
    html = login(demo["reviewer_nsa"]).get(reverse("review_detail", kwargs={"pk": demo["atlas"].pk})).content.decode()
    bar = html[html.index('class="chart chart-window"'):]
    bar = bar[: bar.index("</figure>")]
    assert "<title" in bar and "<desc" in bar
    for key, days in (("elapsed", "22.0"), ("stopped", "2.0"), ("remaining", "6.0"), ("overdue", "0.0"), ("total", "30.0")):
        assert f'data-key="{key}">{days}</td>' in bar
    assert ' style="' not in html


def test_program_office_figures_are_kept_for_minutes_and_say_as_of_when(demo, settings):
    """The program office's turnaround and findings figures are counted once per
    OFFICE_FIGURES_TTL and say so; a lead's are their scope's, counted each time."""
    from django.core.cache import cache

    from findings import services as finding_services
    from findings.models import FindingCategory

    admin, lead = demo["admin"], demo["lead_cisa"]
    before = findings_by_severity(user=admin)
    assert before.totals == ["All agencies", 0, 2, 1, 0, 0, 3]
    assert before.note.startswith("Figures as of ") and before.note.endswith("they are recounted every 5 minutes.")
    services.terms_accept(review=demo["atlas_mini"], user=demo["reviewer_cisa"])
    finding = finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_cisa"], title="Signing keys on the update host",
        category=FindingCategory.objects.first(), severity="critical", description="Keys readable by the build user.",
    )
    finding_services.finding_share(finding_id=finding.pk, actor=lead, sharing="agencies")

    # The lead sees the new finding at once; the program office at the next count.
    assert findings_by_severity(user=lead).table == [["CISA", 1, 1, 0, 0, 0, 2]]
    assert findings_by_severity(user=lead).note == ""
    assert findings_by_severity(user=admin).totals == before.totals
    cache.delete("dashboard:office:findings:v1")  # the entry's time is up
    assert findings_by_severity(user=admin).totals == ["All agencies", 1, 2, 1, 0, 0, 4]

    # With the cache down the figures are counted on each visit, without an "as of".
    settings.CACHES = {"default": {"BACKEND": "portal.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": {"socket_connect_timeout": 0.2}}}
    down = findings_by_severity(user=admin)
    assert down.totals == ["All agencies", 1, 2, 1, 0, 0, 4] and down.note == ""
    assert rfi_turnaround(user=admin).note == ""


def test_window_burn_down_counts_to_the_cap(demo, monkeypatch):
    from dashboard import charts, inbox

    now = timezone.now()
    place_windows(demo, now)
    monkeypatch.setattr(charts, "BURN_DOWN_ROWS", 1)
    assert window_burn_down(user=demo["admin"], now=now).note == "The 1 of 3 active reviews nearest their end."
    monkeypatch.setattr(charts, "COUNT_CAP", 2)
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    chart = window_burn_down(user=demo["admin"], now=now)
    assert chart.note == "The 1 of 2+ active reviews nearest their end."
    assert chart.desc.startswith("2+ active reviews; ")
    assert len(chart.table) == 1


@pytest.mark.usefixtures("empty_statement_cache")
def test_window_burn_down_kept_statements_follow_the_reader_the_moment_and_new_clock_stops(demo):
    """The burn-down's statements are kept per reader (portal.statements): a
    second reader of another agency gets their own scope, a later moment its
    own figures, and a clock stop recorded after the statement was kept shows."""
    from portal import statements

    now = timezone.now()
    place_windows(demo, now)
    atlas, mini, helix = demo["atlas"], demo["atlas_mini"], demo["helix"]
    label = {r.pk: f"{r.model} review #{r.pk}" for r in (atlas, mini, helix)}
    for _ in range(2):  # compiled, then kept
        assert [row[0] for row in window_burn_down(user=demo["lead_cisa"], now=now).table] == [label[helix.pk], label[mini.pk]]
        assert [row[0] for row in window_burn_down(user=demo["lead_nsa"], now=now).table] == [label[atlas.pk], label[mini.pk]]
    kept = [key for key, ok in statements.entries() if ok and "dashboard.charts.burn_down" in str(key)]
    assert len(kept) == 4  # the rows with their count, and the clock stops, for each of the two leads
    # A day later, from the kept statements: a day more elapsed on Atlas-2, a day less left.
    assert window_burn_down(user=demo["lead_nsa"], now=now + timedelta(days=1)).table[0] == [label[atlas.pk], 23.0, 2.0, 5.0, 0.0]
    ClockStop.objects.create(review=atlas, rfi=atlas.rfis.first(), stopped_at=now - timedelta(days=1))
    chart = window_burn_down(user=demo["lead_nsa"], now=now)
    assert chart.table[0] == [label[atlas.pk], 21.0, 3.0, 7.0, 0.0] and chart.rows[0].value_text == "7.0 d left (stopped)"


def test_office_figures_are_recounted_ahead_so_no_visit_counts_them(demo, login, settings):
    """Beat's recount keeps each figure twice OFFICE_FIGURES_TTL: an office
    visit then reads them and counts nothing; a new finding shows at the next
    recount; with no program admin there is nobody to count them for."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from dashboard.charts import OFFICE_FIGURES, OFFICE_FIGURES_TTL
    from dashboard.tasks import refresh_office_figures
    from findings import services as finding_services
    from findings.models import FindingCategory

    assert settings.CELERY_BEAT_SCHEDULE["refresh-office-figures"] == {
        "task": "dashboard.tasks.refresh_office_figures", "schedule": float(OFFICE_FIGURES_TTL),
    }
    admin, lead = demo["admin"], demo["lead_cisa"]
    assert refresh_office_figures.apply().get() == ["states", "turnaround", "findings"]
    for name in OFFICE_FIGURES:  # kept twice the recount's period: replaced before they lapse
        key = cache.make_and_validate_key(f"dashboard:office:{name}:v1")
        assert 2 * OFFICE_FIGURES_TTL - 5 <= cache._cache.get_client(key).ttl(key) <= 2 * OFFICE_FIGURES_TTL

    client = login(admin)
    with CaptureQueriesContext(connection) as visit:
        page = client.get(reverse("dashboard"))
    sql = " ".join(q["sql"] for q in visit.captured_queries)
    assert page.status_code == 200 and "PERCENTILE_CONT" not in sql.upper()  # the turnaround read from the cache
    assert 'GROUP BY "reviews_review"."status"' not in sql and '"findings_finding"."severity"' not in sql

    before = findings_by_severity(user=admin).totals
    services.terms_accept(review=demo["atlas_mini"], user=demo["reviewer_cisa"])
    finding = finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_cisa"], title="Signing keys on the update host",
        category=FindingCategory.objects.first(), severity="critical", description="Keys readable by the build user.",
    )
    finding_services.finding_share(finding_id=finding.pk, actor=lead, sharing="agencies")
    assert findings_by_severity(user=admin).totals == before  # until the next recount
    refresh_office_figures.apply()
    after = findings_by_severity(user=admin).totals
    assert after[1] == before[1] + 1 and after[-1] == before[-1] + 1  # one more critical, one more in all

    cache.clear()
    User.objects.filter(membership__role="program_admin").update(is_active=False)  # no active program admin
    assert refresh_office_figures.apply().get() == []
    assert all(cache.get(f"dashboard:office:{name}:v1") is None for name in OFFICE_FIGURES)


def test_office_figures_recount_with_the_cache_down_keeps_nothing_and_fails_nothing(demo, settings):
    """Redis down: the recount keeps nothing (and says so) instead of failing
    the task; the dashboard then counts the figures itself, as before."""
    from dashboard.tasks import refresh_office_figures

    settings.CACHES = {"default": {"BACKEND": "portal.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": {"socket_connect_timeout": 0.2}}}
    assert refresh_office_figures.apply().get() == []
    assert findings_by_severity(user=demo["admin"]).totals == ["All agencies", 0, 2, 1, 0, 0, 3]


def test_office_chart_markup_is_rendered_once_per_figures_zone_and_recount(demo):
    """A chart drawn from the office's kept figures is rendered once per process
    (chart_svg.chart_card) and reused while the figures, the viewer's time
    zone and language are the same; a recount draws the new numbers, another
    zone its own "as of"; a chart drawn from live rows is rendered each time."""
    from django.utils import timezone as tz

    from dashboard.charts import office_charts
    from dashboard.tasks import refresh_office_figures
    from dashboard.templatetags import chart_svg
    from findings import services as finding_services
    from findings.models import FindingCategory

    admin = demo["admin"]
    chart_svg._cards.clear()
    refresh_office_figures.apply()
    with tz.override("UTC"):
        charts = {c.key: c for c in office_charts(user=admin)}
        first = chart_svg.chart_card(charts["findings"])
        assert first == chart_svg._render_card(charts["findings"])
        again = {c.key: c for c in office_charts(user=admin)}
        assert chart_svg.chart_card(again["findings"]) is first  # the kept markup
        assert charts["burn_down"].figures is None
        assert chart_svg.chart_card(again["burn_down"]) is not chart_svg.chart_card(again["burn_down"])
        assert sorted(key[0][0] for key in chart_svg._cards) == ["findings"]

    with tz.override("America/New_York"):  # the "as of" in the viewer's zone, not the first viewer's
        east = {c.key: c for c in office_charts(user=admin)}["findings"]
        markup = chart_svg.chart_card(east)
        assert markup == chart_svg._render_card(east) and markup != first
        assert tz.localtime(east.figures[1]).strftime("%H:%M") in markup

    services.terms_accept(review=demo["atlas_mini"], user=demo["reviewer_cisa"])
    finding = finding_services.finding_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_cisa"], title="Signing keys on the update host",
        category=FindingCategory.objects.first(), severity="critical", description="Keys readable by the build user.",
    )
    finding_services.finding_share(finding_id=finding.pk, actor=demo["lead_cisa"], sharing="agencies")
    refresh_office_figures.apply()
    with tz.override("UTC"):
        recounted = {c.key: c for c in office_charts(user=admin)}["findings"]
        markup = chart_svg.chart_card(recounted)
        assert markup == chart_svg._render_card(recounted) and markup != first
        assert recounted.totals == ["All agencies", 1, 2, 1, 0, 0, 4]
        assert '<td class="num">4</td>' in markup and '<td class="num">4</td>' not in first


def test_office_charts_with_the_cache_down_are_counted_and_drawn_each_visit(demo, settings):
    """Redis down: the one round trip for the three figures fails quietly, each
    chart counts its figure itself (no "as of") and is drawn afresh, never kept."""
    from dashboard.charts import office_charts
    from dashboard.templatetags import chart_svg

    chart_svg._cards.clear()
    settings.CACHES = {"default": {"BACKEND": "portal.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": {"socket_connect_timeout": 0.2}}}
    charts = {c.key: c for c in office_charts(user=demo["admin"])}
    assert charts["findings"].totals == ["All agencies", 0, 2, 1, 0, 0, 3]
    assert charts["states"].totals[0] == "All reviews" and charts["states"].totals[1] == Review.objects.count()
    assert [(k, charts[k].figures, charts[k].note) for k in ("states", "turnaround", "findings")] == [
        ("states", None, ""), ("turnaround", None, ""), ("findings", None, ""),
    ]
    markup = chart_svg.chart_card(charts["findings"])
    assert '<td class="num">3</td>' in markup and chart_svg._cards == {}


def test_office_charts_read_the_cache_once_and_count_only_a_lapsed_figure(demo, monkeypatch):
    """The three figures come in one cache read; one that lapsed is counted and
    kept again without asking the cache a second time, the others untouched."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboard import charts
    from dashboard.tasks import refresh_office_figures

    refresh_office_figures.apply()
    cache.delete("dashboard:office:findings:v1")  # its time is up; the other two are kept
    monkeypatch.setattr(charts.cache, "get", lambda *args, **kwargs: pytest.fail("the cache read a second time"))
    with CaptureQueriesContext(connection) as visit:
        found = {c.key: c for c in charts.office_charts(user=demo["admin"])}
    sql = " ".join(q["sql"] for q in visit.captured_queries)
    assert '"findings_finding"."severity"' in sql  # the lapsed one, counted
    assert "PERCENTILE_CONT" not in sql.upper() and 'GROUP BY "reviews_review"."status"' not in sql
    assert found["findings"].totals == ["All agencies", 0, 2, 1, 0, 0, 3]
    monkeypatch.undo()
    kept = cache.get("dashboard:office:findings:v1")  # kept again for the next visit
    assert kept is not None and kept["value"] == charts._findings_counts(user=demo["admin"])


def test_a_kept_chart_found_drawn_is_not_laid_out_again(demo, monkeypatch):
    """An office visit whose three kept charts are already drawn for their
    figures lays out only the live burn-down; the markup is the same, and a
    kept chart still answers for its numbers when asked."""
    from django.utils import timezone as tz

    from dashboard import charts
    from dashboard.tasks import refresh_office_figures
    from dashboard.templatetags import chart_svg

    chart_svg._cards.clear()
    refresh_office_figures.apply()
    with tz.override("UTC"):
        first = [chart_svg.chart_card(c) for c in charts.office_charts(user=demo["admin"])]
        laid_out = []
        real = charts._layout
        monkeypatch.setattr(charts, "_layout", lambda key, *args, **kwargs: laid_out.append(key) or real(key, *args, **kwargs))
        visit = charts.office_charts(user=demo["admin"])
        again = [chart_svg.chart_card(c) for c in visit]
    assert laid_out == ["burn_down"]
    assert again[0] is first[0] and again[2:] == first[2:]
    findings = {c.key: c for c in visit}["findings"]
    assert findings.totals == ["All agencies", 0, 2, 1, 0, 0, 3] and laid_out == ["burn_down", "findings"]
