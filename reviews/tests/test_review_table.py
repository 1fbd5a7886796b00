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


def test_lead_dashboard_rows_show_one_persons_state_per_review(demo, login, fresh_shared_review):
    """A reviewer covering two reviews is one person loaded once, but each row
    shows that review's assignment state (accepted on one, invited on the other);
    another agency's reviewer on the same review is not in the lead's cell."""
    from reviews import services

    reviewer, lead = demo["reviewer_nsa"], demo["lead_nsa"]
    services.assignment_invite(review=fresh_shared_review, reviewer=reviewer, actor=lead)
    services.assignment_invite(review=fresh_shared_review, reviewer=demo["reviewer_cisa"], actor=demo["lead_cisa"])

    html = login(lead).get(reverse("dashboard")).content.decode()
    name = escape(reviewer.get_full_name())
    accepted = _row(html, "Your agency", demo["atlas"])
    invited = _row(html, "Your agency", fresh_shared_review)
    assert f'<li class="person">{name} <span class="badge badge-accepted">' in accepted
    assert "badge-invited" not in accepted
    assert f'<li class="person">{name} <span class="badge badge-invited">' in invited
    assert invited.count('<li class="person">') == 1  # CISA's reviewer is CISA's lead's to see
    assert escape(demo["reviewer_cisa"].get_full_name()) not in invited and "No reviewer assigned" not in invited


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


def test_review_rows_date_and_days_left_follow_the_readers_time_zone(demo, login):
    """The window's end and the days left are the reader's calendar day: an end
    at 03:00 UTC is the evening before in New York, and both the date and the
    count move with the time zone (read once per list: reviews_ui.RowClock)."""
    from datetime import datetime
    from datetime import timezone as utc_zone

    import time_machine

    from reviews.models import Review

    review = demo["atlas"]
    end = datetime(2026, 12, 10, 3, 0, tzinfo=utc_zone.utc)
    Review.objects.filter(pk=review.pk).update(window_end=end)
    admin = demo["admin"]
    with time_machine.travel(datetime(2026, 12, 5, 12, 0, tzinfo=utc_zone.utc), tick=False):
        client = login(admin)
        for zone, date, days in (("UTC", "Dec 10, 2026", "5 days left"), ("America/New_York", "Dec 9, 2026", "4 days left")):
            admin.time_zone = zone
            admin.save(update_fields=["time_zone"])
            row = _row(client.get(reverse("review_list")).content.decode(), "Reviews", review)
            assert f'<td class="nowrap">{date}<br><span class="deadline deadline-soon">{days}</span></td>' in row, (zone, row)


def test_lead_dashboard_coverage_lists_the_newest_invitation_first(demo, login, fresh_shared_review):
    """Two of the lead's reviewers on one review: the later invited is listed
    first, each with their assignment's state label."""
    from accounts.models import Role
    from accounts.tests.factories import make_user
    from reviews import services

    lead = demo["lead_nsa"]
    first, second = (make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"], full_name=name) for name in ("Ada Early", "Bea Later"))
    services.assignment_invite(review=fresh_shared_review, reviewer=first, actor=lead)
    services.assignment_invite(review=fresh_shared_review, reviewer=second, actor=lead)

    cell = _row(login(lead).get(reverse("dashboard")).content.decode(), "Your agency", fresh_shared_review)
    assert cell.index("Bea Later") < cell.index("Ada Early")
    assert cell.count('<span class="badge badge-invited"><span class="visually-hidden">Assignment: </span>Invited</span>') == 2
