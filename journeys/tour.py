"""A walk through the pages of the demo's shared review (Atlas-2 Mini: NSA and
CISA) as each role: the pages issues 17, 20, 21 and 22 added (sign-off and
certificates, per-agency readiness, shared questions and the FAQ, the
finding lifecycle, model access, exports). Every page must answer 200, render
without a console error or failed request (the session checks), and never
show the other agency's people; ``manage.py screenshots --journey tour``
photographs each stop."""

from __future__ import annotations

from playwright.sync_api import expect

from .flows import Session, _review, url

NSA_PEOPLE = ("Riley Reviewer", "Lee Lead")
CISA_PEOPLE = ("Casey Reviewer", "Cameron Lead")


def _visit(session: Session, page, path: str, shot: str, *, hidden: tuple[str, ...] = ()) -> None:
    response = page.goto(url(session, path))
    assert response is not None and response.status == 200, (path, response and response.status)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for name in hidden:
        expect(page.get_by_text(name)).to_have_count(0)
    session.checkpoint(page, shot)


def shared_review_tour(session: Session) -> dict:
    mini = _review("Atlas-2 Mini")
    base = f"/reviews/{mini.pk}"
    cisa_finding = mini.findings.get(agency__acronym="CISA")

    lead = session.page_for("lead.nsa@agency.example")
    _visit(session, lead, f"{base}/", "shared-review-lead", hidden=CISA_PEOPLE)
    _visit(session, lead, f"{base}/readiness/", "readiness-by-agency-lead", hidden=CISA_PEOPLE)
    _visit(session, lead, f"{base}/findings/", "findings-lead", hidden=CISA_PEOPLE)
    _visit(session, lead, f"{base}/package/", "exports-lead", hidden=CISA_PEOPLE)
    _visit(session, lead, f"{base}/model-access/", "model-access-status-lead", hidden=CISA_PEOPLE)

    reviewer = session.page_for("reviewer.cisa@agency.example")
    _visit(session, reviewer, f"{base}/rfis/", "questions-reviewer", hidden=NSA_PEOPLE)
    _visit(session, reviewer, f"{base}/faq/", "faq-reviewer", hidden=NSA_PEOPLE)
    _visit(session, reviewer, f"/findings/{cisa_finding.pk}/", "finding-lifecycle-reviewer", hidden=NSA_PEOPLE)

    liaison = session.page_for("liaison@northwind.example")
    everyone = NSA_PEOPLE + CISA_PEOPLE
    _visit(session, liaison, f"{base}/", "shared-review-liaison", hidden=everyone)
    _visit(session, liaison, f"{base}/rfis/", "questions-liaison", hidden=everyone)
    _visit(session, liaison, f"{base}/model-access/", "model-access-issue-liaison", hidden=everyone)

    admin = session.page_for("admin@portal.example")
    _visit(session, admin, f"{base}/", "shared-review-admin")
    _visit(session, admin, "/exports/signing-key/", "signing-key-admin")
    return {"review": mini.pk}
