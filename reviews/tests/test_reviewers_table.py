"""The review page's table of reviewers (reviews/templatetags/reviews_ui.py
assignment_rows): one row per assignment the reader may see, each reviewer
named as the person display rule allows, the reader's own assignment linked,
its agency, state and dates; names escaped."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.models import Assignment

pytestmark = pytest.mark.django_db


def _table(html: str) -> str:
    start = html.index('<table aria-labelledby="assignments-title">')
    return html[start: html.index("</table>", start)]


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr><th scope=\"row\">.*?</tr>", _table(html), flags=re.S)


def _date(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local:%b} {local.day}, {local.year}"


def test_reviewers_table_rows_for_the_reviewer_and_their_lead(demo, login):
    atlas, reviewer, lead = demo["atlas"], demo["reviewer_nsa"], demo["lead_nsa"]
    reviewer.full_name = "Riley <b>Reviewer</b>"
    reviewer.save(update_fields=["full_name"])
    from datetime import timedelta

    # Asked ten days ago, answered two days ago: each date in its own column.
    now = timezone.now()
    Assignment.objects.filter(review=atlas, reviewer=reviewer).update(invited_at=now - timedelta(days=10), responded_at=now - timedelta(days=2))
    mine = Assignment.objects.get(review=atlas, reviewer=reviewer)
    visible = list(Assignment.objects.visible_to(lead, review=atlas))
    assert mine in visible

    for viewer in (reviewer, lead):
        html = login(viewer, accept_terms_for=[atlas]).get(reverse("review_detail", args=[atlas.pk])).content.decode()
        rows = _rows(html)
        assert len(rows) == len(list(Assignment.objects.visible_to(viewer, review=atlas)))
        [row] = [r for r in rows if "Riley &lt;b&gt;Reviewer&lt;/b&gt;" in r]
        assert "<b>" not in row
        link = f'<a href="{reverse("assignment_detail", args=[mine.pk])}">Riley &lt;b&gt;Reviewer&lt;/b&gt;</a> <span class="cell-sub">You</span>'
        assert (link in row) == (viewer == reviewer)
        assert f"<td>{mine.agency}</td>" in row
        assert f'<span class="badge badge-{mine.status}"><span class="visually-hidden">Assignment: </span>{mine.get_status_display()}</span>' in row
        assert f'<td class="nowrap">{_date(mine.invited_at)}</td>' in row
        assert row.endswith(f'<td class="nowrap">{_date(mine.responded_at)}</td></tr>')
    # Not answered yet: a dash.
    Assignment.objects.filter(pk=mine.pk).update(responded_at=None)
    html = login(lead, accept_terms_for=[atlas]).get(reverse("review_detail", args=[atlas.pk])).content.decode()
    [row] = [r for r in _rows(html) if "Riley &lt;b&gt;Reviewer&lt;/b&gt;" in r]
    assert row.endswith('<td class="nowrap"><span class="muted">&mdash;</span></td></tr>')


@pytest.mark.parametrize("role", ["lead_nsa", "lead_cisa", "admin"])
def test_reviewers_table_on_a_shared_review_lists_what_the_reader_may_see(demo, login, role):
    """On the review NSA and CISA share, each agency's lead sees their own
    agency's reviewers (by name) and no row or name of the other's; the
    program office sees every agency's."""
    mini, viewer = demo["atlas_mini"], demo[role]
    everyone = list(Assignment.objects.filter(review=mini).select_related("reviewer", "agency"))
    assert {a.agency.acronym for a in everyone} == {"NSA", "CISA"}  # the demo's: both agencies have a reviewer
    mine = [a for a in everyone if role == "admin" or a.agency_id == viewer.membership.agency_id]
    html = login(viewer, accept_terms_for=[] if role == "admin" else [mini]).get(reverse("review_detail", args=[mini.pk])).content.decode()
    rows = _rows(html)
    assert sorted(re.search(r"<td>(\w+)</td>", r).group(1) for r in rows) == sorted(a.agency.acronym for a in mine)
    for a in everyone:
        assert (a.reviewer.get_full_name() in _table(html)) == (a in mine)
