"""Each role's dashboard with something to do (issue 19): "Needs your action"
first, stopped clocks, the program office's charts, and the review page's
window bar. ``manage.py screenshots --journey dashboards`` photographs each."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from .flows import Session, _review, _submitted_review, _user, url


def _give_everyone_work() -> None:
    """Through the services: a blocking question stops Atlas-2 Mini's clock, the
    company answers Atlas-2's question, NSA's lead asks for an extension, a
    finding is shared with the company, a submission waits to be opened, and an
    invitation waits for the NSA reviewer."""
    from django.utils import timezone

    from findings.services import finding_share
    from reviews import services as review_services
    from rfis import services as rfi_services
    from rfis.models import InformationRequest

    lead, reviewer = _user("lead.nsa@agency.example"), _user("reviewer.nsa@agency.example")
    liaison = _user("liaison@northwind.example")
    atlas, mini = _review("Atlas-2"), _review("Atlas-2 Mini")
    for review in (atlas, mini):
        review_services.terms_accept(review=review, user=lead)
        review_services.terms_accept(review=review, user=reviewer)
    rfi_services.rfi_answer(rfi_id=atlas.rfis.get().pk, actor=liaison, body="The raw logs are in the evaluation bundle.")
    rfi_services.rfi_create(
        review_id=mini.pk, actor=reviewer, subject="API key for the on-device build is refused",
        question="The key issued on Monday returns 401 on every call.", blocking=True,
    )
    InformationRequest.objects.filter(review=mini, subject="Distillation data for the safeguard layer").update(
        due_at=timezone.now() - timedelta(days=4)
    )
    review_services.extension_request(review_id=atlas.pk, actor=lead, days=5, reason="The lab range was down for two days.")
    finding_share(finding_id=atlas.findings.get().pk, actor=lead, sharing="company")
    edge = _submitted_review("Atlas-2 Edge", agencies=("NSA", "CISA"))
    review_services.assignment_invite(review=edge, reviewer=reviewer, actor=lead)


def _dashboard(session: Session, email: str, shot: str, *, heading: str = "Needs your action"):
    page = session.page_for(email)
    page.goto(url(session, "/"))
    expect(page.get_by_role("heading", level=2, name=heading).first).to_be_visible()
    session.checkpoint(page, shot)
    return page


def dashboards_journey(session: Session) -> dict:
    _give_everyone_work()
    mini = _review("Atlas-2 Mini")

    reviewer = _dashboard(session, "reviewer.nsa@agency.example", "dashboard-inbox-reviewer")
    expect(reviewer.get_by_text("Answer your assignments").first).to_be_visible()
    expect(reviewer.get_by_text("Stopped clocks")).to_be_visible()
    reviewer.goto(url(session, f"/reviews/{mini.pk}/"))
    expect(reviewer.locator(".chart-window svg")).to_be_visible()
    session.checkpoint(reviewer, "review-window-bar-reviewer")

    lead = _dashboard(session, "lead.nsa@agency.example", "dashboard-inbox-lead")
    expect(lead.get_by_text("Record your agency's sign-off").first).to_be_visible()

    liaison = _dashboard(session, "liaison@northwind.example", "dashboard-inbox-liaison")
    expect(liaison.get_by_text("Respond to findings shared with you").first).to_be_visible()

    admin = _dashboard(session, "admin@portal.example", "dashboard-inbox-admin")
    for title in ("Reviews by state", "Window burn-down of active reviews", "Question turnaround by asking agency",
                  "Findings by severity and agency"):
        expect(admin.get_by_role("heading", level=2, name=title)).to_be_visible()
    admin.locator("#chart-burn_down summary").click()
    session.checkpoint(admin, "dashboard-charts-admin")
    return {"review": mini.pk}
