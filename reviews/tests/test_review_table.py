"""The rows of every list of reviews (reviews/templatetags/reviews_ui.py
review_rows): what each cell says, per role's table, with names and
company text escaped."""

import pytest
from django.urls import reverse
from django.utils.html import escape

pytestmark = pytest.mark.django_db


def _row(html: str, caption: str, review) -> str:
    """The row linking to ``review`` in the table captioned ``caption``."""
    link = f'href="{reverse("review_detail", kwargs={"pk": review.pk})}"'
    start = html.rindex("<tr>", 0, html.index(link, html.index(f"<caption>{caption}")))
    return html[start: html.index("</tr>", start)]


def test_lead_dashboard_rows_show_each_reviews_coverage(demo, login, fresh_shared_review):
    reviewer = demo["reviewer_nsa"]
    reviewer.full_name = "Riley <b>Reviewer</b>"
    reviewer.save(update_fields=["full_name"])
    assert demo["atlas"].assignments.filter(reviewer=reviewer, status="accepted").exists()  # the demo's

    html = login(demo["lead_nsa"]).get(reverse("dashboard")).content.decode()
    covered = _row(html, "Your agency", demo["atlas"])
    assert f'<a class="cell-title" href="{reverse("review_detail", kwargs={"pk": demo["atlas"].pk})}">{escape(str(demo["atlas"].model))}</a>' in covered
    assert f'<span class="cell-sub">Review #{demo["atlas"].pk}</span>' in covered
    assert '<li class="person">Riley &lt;b&gt;Reviewer&lt;/b&gt; <span class="badge badge-' in covered
    assert "<b>" not in covered
    assert "No reviewer assigned" not in covered

    bare = _row(html, "Your agency", fresh_shared_review)
    assert '<span class="badge badge-danger">No reviewer assigned</span>' in bare
    assert '<li class="person">' not in bare
    assert f"<td>{escape(str(fresh_shared_review.company))}</td>" in bare
    assert '<span class="chip">CISA</span></li>' in bare and '<span class="chip">NSA</span></li>' in bare  # submitted: nobody is outstanding yet


def test_review_list_rows_escape_the_companys_text_and_show_the_window(demo, login):
    model = demo["atlas"].model
    model.name = "<script>alert(1)</script>"
    model.save(update_fields=["name"])
    html = login(demo["admin"]).get(reverse("review_list")).content.decode()
    row = _row(html, "Reviews", demo["atlas"])
    assert "<script>" not in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row
    assert '<td class="nowrap">' in row and '<span class="deadline deadline-' in row
    assert '<span class="visually-hidden">Status: </span>In review</span>' in row
