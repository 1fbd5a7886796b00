"""The three journeys of DESIGN.md's roles, end to end in chromium, and the negative paths.

Every checkpoint of a journey runs axe-core (no serious or critical
violation); each journey fills at least one form with the keyboard alone.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from journeys import flows

pytestmark = pytest.mark.browser


def test_liaison_journey(journey):
    result = flows.liaison_journey(journey)
    assert {"dashboard-liaison", "model-register-liaison", "review-edit-liaison", "upload-choose-liaison", "upload-progress-liaison",
            "document-history-liaison", "rfi-liaison", "finding-liaison"} <= set(journey.checked)

    from reviews.models import Review, ReviewStatus

    atlas3 = Review.objects.get(model__name="Atlas-3")
    assert atlas3.status == ReviewStatus.SUBMITTED
    assert result["new_review_url"].endswith(f"/reviews/{atlas3.pk}/")
    assert sorted(atlas3.documents.values_list("versions__original_name", flat=True)) == ["evaluation.csv", "model-card.md"]
    assert sorted(atlas3.documents.values_list("title", "kind")) == [
        ("Atlas-3 model card", "model_card"), ("evaluation.csv", "evaluation_results"),
    ]
    assert atlas3.documents.get(kind="model_card").changes.get().changes == {"title": ["model-card.md", "Atlas-3 model card"]}
    assert atlas3.summary.startswith("Atlas-3's agentic exploitation skills and its sandbox escapes")
    assert atlas3.model.created_by.email == "liaison@northwind.example"
    assert set(atlas3.agencies.values_list("acronym", flat=True)) == {"NSA", "CISA"}
    assert Review.objects.get(model__name="Atlas-2 Mini").status == ReviewStatus.WITHDRAWN
    assert Review.objects.get(model__name="Atlas-2").rfis.get().status == "answered"


def test_reviewer_journey(journey):
    result = flows.reviewer_journey(journey)

    from documents.models import DocumentAccess
    from findings.models import Finding
    from readiness.models import ChecklistItem
    from reviews.models import Assignment, Review

    mini = Review.objects.get(pk=result["review"])
    assignment = Assignment.objects.get(review=mini, reviewer__email="reviewer.nsa@agency.example")
    assert assignment.status == "accepted" and assignment.coi_declaration
    assert mini.clock_stops.filter(resumed_at__isnull=True).exists()
    finding = Finding.objects.get(review=mini, title="Refusals weaker on exploit requests")
    # Its evidence file, attached through the page: a PDF of two pages, stored as the finding's.
    (evidence,) = finding.attachments.all()
    assert list(evidence.document.versions.values_list("original_name", "content_type")) == [("lab-run-transcripts.pdf", "application/pdf")]
    assert not ChecklistItem.objects.filter(review=mini, answer="").exists()
    # Her saved search told her of the lead's new question, once.
    from notifications.models import Notification
    from rfis.models import InformationRequest
    from search.models import SavedSearch

    saved = SavedSearch.objects.get(owner__email="reviewer.nsa@agency.example")
    asked = InformationRequest.objects.get(review=mini, subject="Retention of tool-call logs")
    assert (saved.text, saved.params, saved.alert) == ("tool-call logs", "", True)
    assert f"rfi:{asked.pk}" in saved.reported
    assert list(Notification.objects.filter(verb="search.alert").values_list("recipient__email", "title")) == [
        ("reviewer.nsa@agency.example", "New for your saved search \u201ctool-call logs\u201d: 1 question")
    ]
    assert DocumentAccess.objects.filter(user__email="reviewer.nsa@agency.example", action="download").count() == 1


def test_admin_and_lead_journey(journey):
    result = flows.admin_lead_journey(journey)

    from accounts.models import User
    from audit.models import AuditEvent
    from reviews.models import Review, ReviewStatus

    newcomer = User.objects.get(email="new.analyst@agency.example")
    assert newcomer.is_agency_reviewer
    assert newcomer.authenticator_set.filter(type="totp").exists()
    atlas = Review.objects.get(pk=result["review"])
    assert atlas.status == ReviewStatus.CLOSED
    assert not Review.objects.visible_to(User.objects.get(email="reviewer.nsa@agency.example")).filter(pk=atlas.pk).exists()
    assert AuditEvent.objects.filter(action="report.generate", target_id=str(atlas.pk)).exists()
    (searched,) = AuditEvent.objects.filter(action="search.run").values_list("actor_label", "review_id", "payload")
    assert searched[:2] == ("lead.nsa@agency.example", None)
    assert (searched[2]["searched_for"], searched[2]["typed"], searched[2]["filters"]) == ("atlas", ["atla", "atlas"], {})


def test_model_access_journey(journey):
    result = flows.model_access_journey(journey)
    assert {"model-access-liaison", "credential-revealed-reviewer", "model-access-lead"} <= set(journey.checked)

    from modelaccess.models import Credential

    credential = Credential.objects.get(review_id=result["review"])
    assert credential.revealed_at is not None and credential.secret == ""


def test_reviewer_pasting_another_agencys_review_url_sees_not_found(journey, demo):
    page = journey.page_for("reviewer.cisa@agency.example")
    atlas = demo["atlas"]
    for path in (f"/reviews/{atlas.pk}/", f"/reviews/{atlas.pk}/documents/", f"/reviews/{atlas.pk}/findings/"):
        response = page.goto(journey.base_url + path)
        assert response.status == 404, (path, response.status)
        expect(page.get_by_role("heading", level=1, name="Not found")).to_be_visible()
        # CISA works on the shared "Atlas-2 Mini" review; NSA's own Atlas-2 must not show.
        expect(page.get_by_text(re.compile(r"Atlas-2(?! Mini)"))).to_have_count(0)
    journey.checkpoint(page, "not-found")


def test_refused_files_show_their_error_next_to_them_while_the_others_upload(journey, demo, settings):
    settings.PORTAL_UPLOAD_MAX_BYTES = 64 * 1024
    atlas = demo["atlas"]
    page = journey.page_for("liaison@northwind.example")
    page.goto(f"{journey.base_url}/reviews/{atlas.pk}/documents/")
    flows.drop_files(page, "[data-dropzone]", [
        ("red-team-summary.md", b"# Red-team summary\n\nNo critical issues.\n", "text/markdown"),
        ("installer.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200, "application/x-msdownload"),
        ("huge-report.pdf", b"%PDF-1.4\n" + b"0" * (80 * 1024), "application/pdf"),
    ])
    page.get_by_role("button", name="Upload").click()
    rows = page.locator("[data-upload-list] li.upload-item")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_class(re.compile("upload-ok"))
    expect(rows.nth(0)).to_contain_text("red-team-summary.md stored as version 1")
    expect(rows.nth(1)).to_have_class(re.compile("upload-error"))
    expect(rows.nth(1)).to_contain_text("installer.exe refused")
    expect(rows.nth(1)).to_contain_text("not an accepted type")
    expect(rows.nth(2)).to_have_class(re.compile("upload-error"))
    expect(rows.nth(2)).to_contain_text("huge-report.pdf refused: larger than the 64.0 KiB limit.")
    expect(rows.nth(1).locator(".upload-status")).to_have_attribute("role", "alert")
    journey.checkpoint(page, "upload-errors")

    from documents.models import DocumentVersion

    names = set(DocumentVersion.objects.filter(document__review=atlas).values_list("original_name", flat=True))
    assert "red-team-summary.md" in names
    assert not names & {"installer.exe", "huge-report.pdf"}


def test_upload_form_works_without_javascript(journey, demo, tmp_path):
    """The drop zone is an addition: with scripts off the plain form uploads several files."""
    from documents.models import DocumentVersion

    atlas = demo["atlas"]
    page = journey.page_for("liaison@northwind.example")
    plain = journey.browser.new_context(java_script_enabled=False, storage_state=page.context.storage_state())
    try:
        nojs = plain.new_page()
        nojs.goto(f"{journey.base_url}/reviews/{atlas.pk}/documents/")
        (tmp_path / "notes.txt").write_text("Plain upload.\n")
        (tmp_path / "empty.txt").write_text("")
        nojs.get_by_label("Files").set_input_files([str(tmp_path / "notes.txt"), str(tmp_path / "empty.txt")])
        nojs.get_by_role("button", name="Upload").click()
        expect(nojs.get_by_text("notes.txt stored as version 1")).to_be_visible()
        expect(nojs.get_by_text("empty.txt refused: the file is empty.")).to_be_visible()
    finally:
        plain.close()
    assert DocumentVersion.objects.filter(document__review=atlas, original_name="notes.txt").exists()


def test_shared_review_tour_renders_every_new_page_for_each_role(journey):
    from journeys.tour import shared_review_tour

    shared_review_tour(journey)
    assert journey.checked == [
        "shared-review-lead", "readiness-by-agency-lead", "findings-lead", "exports-lead", "model-access-status-lead",
        "questions-reviewer", "faq-reviewer", "finding-lifecycle-reviewer",
        "shared-review-liaison", "questions-liaison", "model-access-issue-liaison",
        "shared-review-admin", "signing-key-admin",
    ]


def test_search_results_are_walked_with_the_arrow_keys(journey):
    """From the search field the down arrow reaches the first result's title,
    up and down move between titles (never past either end), and up from the
    first or Escape goes back to the field; results htmx swaps in as the user
    types are walked the same way. Nothing is opened on the way. The address
    htmx puts in the history holds only the fields that were filled."""
    page = journey.page_for("lead.nsa@agency.example")
    page.goto(f"{journey.base_url}/search/?q=atlas")
    field = page.get_by_role("searchbox", name="Search for")
    titles = page.locator("#search-results .search-hit-title a")
    expect(titles.nth(2)).to_be_visible()
    field.focus()
    field.press("ArrowUp")  # nothing above the field
    expect(field).to_be_focused()
    field.press("ArrowDown")
    expect(titles.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(titles.nth(2)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(titles.nth(1)).to_be_focused()
    page.keyboard.press("Escape")
    expect(field).to_be_focused()
    field.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    expect(field).to_be_focused()
    # The last title keeps the focus: a down arrow there does nothing.
    last = titles.count() - 1
    titles.nth(last).focus()
    page.keyboard.press("ArrowDown")
    expect(titles.nth(last)).to_be_focused()
    assert page.url == f"{journey.base_url}/search/?q=atlas"
    assert field.input_value() == "atlas"

    # Typed: htmx swaps the results in; the down arrow reaches the new first title.
    # The live region a screen reader reads is not among what is swapped: the
    # same element (marked here) takes the new counts, and the results under
    # it are not read out whole.
    live = page.locator("#search-status")
    expect(live).to_have_attribute("role", "status")
    expect(live).to_contain_text("for \u201catlas\u201d")
    live.evaluate("node => { node.dataset.kept = 'yes'; }")
    assert page.locator("#search-results").get_attribute("aria-live") is None
    field.fill("")
    field.press_sequentially("atl*")
    expect(page.locator("#search-status[data-kept=yes]")).to_contain_text("for \u201catl*\u201d")
    # The address in the history names what was asked, not every empty filter.
    expect(page).to_have_url(re.compile(r"/search/\?q=atl(\*|%2A)$"))
    first = titles.nth(0)
    expect(first).to_be_visible()
    field.press("ArrowDown")
    expect(first).to_be_focused()
    hint = "The down arrow moves to the results"
    expect(page.get_by_text(hint)).to_be_visible()
    page.get_by_label("Type").select_option("document")
    expect(page).to_have_url(re.compile(r"/search/\?q=atl(\*|%2A)&type=document$"))
    expect(page.locator("#search-results h2")).to_have_text([re.compile(r"^Documents")])
    journey.checkpoint(page, "search-keys-lead")

    # Without scripts the keys do nothing, and the hint says nothing of them.
    plain = journey.browser.new_context(java_script_enabled=False, storage_state=page.context.storage_state())
    try:
        nojs = plain.new_page()
        nojs.goto(f"{journey.base_url}/search/?q=atlas")
        expect(nojs.get_by_text("matches the start of a word")).to_be_visible()
        expect(nojs.get_by_text(hint)).to_be_hidden()
    finally:
        plain.close()


def test_slash_goes_to_the_search_box_unless_typing_or_turned_off(journey):
    """"/" from anywhere on a page goes to the header's search box (the search
    page's own field there), types a slash in a field, and does nothing for
    someone who turned single-key shortcuts off (WCAG 2.1.4)."""
    page = journey.page_for("reviewer.nsa@agency.example")
    page.goto(f"{journey.base_url}/")
    header = page.get_by_role("searchbox", name="Find anything in the portal")
    expect(header).not_to_be_focused()
    page.keyboard.press("/")
    expect(header).to_be_focused()
    page.keyboard.type("gpt/4")  # in a field "/" is a character
    expect(header).to_have_value("gpt/4")
    assert page.url == f"{journey.base_url}/"

    page.goto(f"{journey.base_url}/search/?q=atlas")
    field = page.get_by_role("searchbox", name="Search for")
    page.locator("#search-results .search-hit-title a").first.focus()
    page.keyboard.press("/")
    expect(field).to_be_focused()

    page.goto(f"{journey.base_url}/accounts/keyboard/")
    page.get_by_label("Use single-key shortcuts").uncheck()
    page.get_by_role("button", name="Save shortcuts").click()
    expect(page.get_by_text("Single-key shortcuts are off.")).to_be_visible()
    page.goto(f"{journey.base_url}/")
    page.keyboard.press("/")
    expect(header).not_to_be_focused()
    expect(header).to_have_value("")


def test_a_search_that_fails_as_one_types_says_so_instead_of_keeping_the_last_results(journey, settings, lock_table):
    """A search htmx asks as the user types that the server cannot answer
    (here: stopped by the web statement bound while another session holds
    the reviews locked) replaces the results with a message saying so — an
    earlier search's results would pass for this one's — and the next
    answered search replaces the message."""
    settings.PORTAL_WEB_STATEMENT_TIMEOUT = 0.5  # each live_server request opens its connection under it
    page = journey.page_for("lead.nsa@agency.example")
    page.goto(f"{journey.base_url}/search/?q=atlas")
    field = page.get_by_role("searchbox", name="Search for")
    titles = page.locator("#search-results .search-hit-title a")
    alert = page.locator("#search-results [role=alert]")
    expect(titles.nth(0)).to_be_visible()
    with lock_table("reviews_review", "ACCESS EXCLUSIVE"):
        field.fill("atlas mini")
        expect(alert).to_have_text("This search took too long and was stopped. Add words or filters to narrow it.")
        expect(titles).to_have_count(0)
        expect(page.locator("#search-status")).to_have_text("")  # the last answer's counts are not read out for this one
    assert page.url == f"{journey.base_url}/search/?q=atlas"  # a failed search is not put in the history
    field.fill("atlas")
    expect(titles.nth(0)).to_be_visible()
    expect(alert).to_have_count(0)
    expect(page.locator("#search-status")).to_contain_text("for \u201catlas\u201d")
    # The one 503 was this test's doing: seen, then no longer counted as the portal misbehaving.
    (log,) = [log for _, seen, log in journey.pages if seen is page]
    assert log.server_errors == [f"503 GET {journey.base_url}/search/?q=atlas%20mini"]
    log.server_errors.clear()


def test_a_checklist_answer_that_fails_says_nothing_was_saved_and_keeps_what_was_typed(journey, settings, lock_table, demo):
    """A part saved through htmx (a readiness answer) that the server cannot
    save — here its update is stopped by the web statement bound while
    another session holds the checklist locked — says so above the form,
    which keeps what was typed; nothing is saved; saving again works."""
    from readiness.models import ChecklistItem
    from reviews.services import terms_accept

    review, lead = demo["atlas"], demo["lead_nsa"]
    terms_accept(review=review, user=lead)
    settings.PORTAL_WEB_STATEMENT_TIMEOUT = 0.5
    page = journey.page_for(lead.email)
    page.goto(f"{journey.base_url}/reviews/{review.pk}/readiness/")
    form = page.locator("form[action*='/readiness/']").first
    item_id = int(re.search(r"/readiness/(\d+)/answer/", form.get_attribute("action")).group(1))
    before = ChecklistItem.objects.values("answer", "note").get(pk=item_id)
    card = page.locator(f"#item-{item_id}")
    form.get_by_label("Not met", exact=True).check()
    form.get_by_label(re.compile("^Note")).fill("No model card yet.")
    with lock_table("readiness_checklistitem", "EXCLUSIVE"):  # reads go on; the answer's update waits
        form.get_by_role("button", name=re.compile("^Save")).click()
        expect(card.locator("[role=alert]")).to_have_text("This took too long and was stopped; nothing was saved. Try again.")
    assert ChecklistItem.objects.values("answer", "note").get(pk=item_id) == before
    expect(form.get_by_label(re.compile("^Note"))).to_have_value("No model card yet.")
    expect(form.get_by_label("Not met", exact=True)).to_be_checked()
    form.get_by_role("button", name=re.compile("^Save")).click()
    expect(card.get_by_role("status")).to_have_text("Saved.")
    expect(card.locator("[role=alert]")).to_have_count(0)
    assert ChecklistItem.objects.values("answer", "note").get(pk=item_id) == {"answer": "not_met", "note": "No model card yet."}
    # A form whose CSRF token no longer matches (signed in again elsewhere): refused, and said so.
    form = page.locator(f"#item-{item_id} form")
    form.locator("input[name=csrfmiddlewaretoken]").evaluate("input => { input.value = 'x'.repeat(64); }")
    form.get_by_label("Met", exact=True).check()
    form.get_by_role("button", name=re.compile("^Save")).click()
    expect(card.locator("[role=alert]")).to_have_text(
        "This page is out of date (you signed in again, or it was open a long time); nothing was saved. Reload the page and try again."
    )
    assert ChecklistItem.objects.get(pk=item_id).answer == "not_met"
    (log,) = [log for _, seen, log in journey.pages if seen is page]
    assert log.server_errors == [f"503 POST {journey.base_url}/readiness/{item_id}/answer/"]
    log.server_errors.clear()
