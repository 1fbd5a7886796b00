"""The three journeys of issue 10, step by step, on the demo world.

Each journey takes a ``Session`` (the tests' and the screenshots command's):
``session.page_for(email)`` gives a page of a new browser context, signed in
through the login form with password and TOTP; ``session.checkpoint(page,
name)`` is where the tests run axe-core and the command takes a screenshot
named ``name``. Steps that set the scene without a browser (another person's
earlier work) go through the same services the views use.
"""

from __future__ import annotations

import re
from typing import Protocol

from playwright.sync_api import Page, expect

from .browser import PASSWORD, choose_with_keyboard, drop_files, fresh_totp, recovery_code, tab_to

NOT_FOUND = "Not found"


class Session(Protocol):
    base_url: str

    def page_for(self, email: str) -> Page: ...

    def anonymous_page(self) -> Page: ...

    def checkpoint(self, page: Page, name: str) -> None: ...

    def invitation_link(self, email: str) -> str: ...


def _user(email):
    from accounts.models import User

    return User.objects.select_related("membership").get(email=email)


def _review(model_name):
    from reviews.models import Review

    return Review.objects.get(model__name=model_name)


def _submitted_review(model_name: str, *, agencies=("NSA",)):
    """A new Northwind model submitted for review with ``agencies``: the demo's
    own reviews are already in review, so a journey that opens one makes its own."""
    from datetime import timedelta

    from django.utils import timezone

    from agencies.models import Agency
    from companies.models import Modality
    from companies.services import aimodel_create
    from reviews import services as review_services

    liaison = _user("liaison@northwind.example")
    model = aimodel_create(
        actor=liaison, company=liaison.membership.company, name=model_name, version="2.1", modality=Modality.TEXT,
        capability_summary="Edge build of Atlas-2 for air-gapped deployments.",
        planned_release_date=timezone.localdate() + timedelta(days=75),
    )
    review = review_services.review_create(
        actor=liaison, model=model, agencies=list(Agency.objects.filter(acronym__in=agencies)),
        summary="Check that the air-gapped build keeps Atlas-2's safeguards without the hosted classifier.",
    )
    return review_services.review_submit(review_id=review.pk, actor=liaison)


def url(session: Session, path: str) -> str:
    return session.base_url + path


# ------------------------------------------------------------------ liaison

def liaison_journey(session: Session) -> dict:
    """Northwind's liaison: register a model, draft, edit and submit a review, upload
    by drag-and-drop with each file's own kind, correct a document's title (its change
    history), answer an RFI, read a shared finding, withdraw another review."""
    from datetime import timedelta

    from django.utils import timezone

    from findings.models import Finding, Sharing
    from findings.services import finding_share

    liaison = _user("liaison@northwind.example")
    atlas, mini = _review("Atlas-2"), _review("Atlas-2 Mini")
    # Earlier, NSA's lead shared the reviewer's finding with the company.
    finding = Finding.objects.get(review=atlas)
    finding_share(finding_id=finding.pk, actor=_user("lead.nsa@agency.example"), sharing=Sharing.COMPANY)

    page = session.page_for(liaison.email)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    session.checkpoint(page, "dashboard-liaison")

    # Register the next model from the dashboard's model list.
    page.get_by_role("link", name="Register a model").first.click()
    page.get_by_label("Name", exact=True).fill("Atlas-3")
    page.locator("#id_version").fill("3.0")
    page.get_by_label("Modality").select_option("agentic")
    page.get_by_label("Capability summary").fill("Next Atlas generation: autonomous multi-step tool use.")
    page.get_by_label("Planned release date").fill((timezone.localdate() + timedelta(days=60)).isoformat())
    session.checkpoint(page, "model-register-liaison")
    page.get_by_role("button", name="Register the model").click()
    expect(page.get_by_text("Atlas-3 3.0 is registered.")).to_be_visible()

    # Draft a review with the keyboard only: no clicks from here to "Save draft".
    page.goto(url(session, "/reviews/new/"))
    tab_to(page, "#id_model")
    choose_with_keyboard(page, "#id_model", "Atlas-3")
    tab_to(page, "input[name=agencies][value='%d']" % _agency("NSA").pk)
    page.keyboard.press("Space")
    tab_to(page, "input[name=agencies][value='%d']" % _agency("CISA").pk)
    page.keyboard.press("Space")
    tab_to(page, "#id_summary")
    page.keyboard.type("Atlas-3's agentic exploitation skills before the January release.")
    session.checkpoint(page, "review-create-liaison")
    tab_to(page, "button[type=submit]:has-text('Save draft')")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Atlas-3"))).to_be_visible()
    # Correct the draft before submitting it (afterwards it can no longer be changed).
    page.get_by_role("link", name="Edit draft").click()
    page.get_by_label("What should the agencies look at?").fill(
        "Atlas-3's agentic exploitation skills and its sandbox escapes before the January release."
    )
    session.checkpoint(page, "review-edit-liaison")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Draft updated.")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Review submitted.")).to_be_visible()
    new_review_url = page.url

    # Two documents dropped on the upload form, each with its own progress bar.
    page.goto(new_review_url + "documents/")
    expect(page.locator("[data-dropzone]")).to_be_visible()
    drop_files(page, "[data-dropzone]", [
        ("model-card.md", b"# Atlas-3 model card\n\nIntended use: agentic coding.\n", "text/markdown"),
        ("evaluation.csv", b"benchmark,score\nctf-easy,0.82\nctf-hard,0.31\n", "text/csv"),
    ])
    expect(page.locator("[data-upload-list] li")).to_have_count(2)
    # Each dropped file gets its own kind and marking; the form's choice is the default.
    page.get_by_label("Kind of model-card.md").select_option("model_card")
    page.get_by_label("Kind of evaluation.csv").select_option("evaluation_results")
    session.checkpoint(page, "upload-choose-liaison")
    page.get_by_role("button", name="Upload").click()
    rows = page.locator("[data-upload-list] li.upload-item")
    expect(rows).to_have_count(2)
    expect(rows.locator("progress")).to_have_count(2)
    expect(page.locator("[data-upload-list] .upload-ok")).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("model-card.md stored as version 1")
    expect(rows.nth(1)).to_contain_text("evaluation.csv stored as version 1")
    for i in range(2):
        expect(rows.nth(i).locator("progress")).to_have_attribute("value", "100")
    session.checkpoint(page, "upload-progress-liaison")
    page.get_by_role("link", name="Refresh the list").click()
    expect(page.get_by_role("link", name="model-card.md", exact=True)).to_be_visible()
    session.checkpoint(page, "documents-liaison")

    # Give the model card a proper title: the change is listed on its page.
    page.get_by_role("link", name="model-card.md", exact=True).click()
    page.get_by_role("link", name="Edit title, kind or marking").click()
    page.get_by_label("Title", exact=True).fill("Atlas-3 model card")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Document updated")).to_be_visible()
    expect(page.get_by_role("heading", name="Change history")).to_be_visible()
    session.checkpoint(page, "document-history-liaison")

    # Answer the open RFI on Atlas-2.
    page.goto(url(session, f"/reviews/{atlas.pk}/rfis/"))
    page.get_by_role("link", name="Tool-use logs for the CTF evaluation").click()
    page.get_by_label("Your answer").fill("The raw tool-call logs are in the evaluation bundle, version 2.")
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_text("The raw tool-call logs are in the evaluation bundle")).to_be_visible()
    session.checkpoint(page, "rfi-liaison")

    # Read the finding NSA shared with the company.
    page.goto(url(session, f"/reviews/{atlas.pk}/findings/"))
    page.get_by_role("link", name=finding.title).click()
    expect(page.get_by_role("heading", level=1, name=finding.title)).to_be_visible()
    expect(page.get_by_text("Riley Reviewer")).to_have_count(0)  # never the author
    session.checkpoint(page, "finding-liaison")

    # Withdraw the second review (Atlas-2 Mini); the confirm dialog is accepted.
    page.goto(url(session, f"/reviews/{mini.pk}/"))
    page.get_by_label("Reason for withdrawing").fill("We are merging Mini into the Atlas-3 release.")
    page.get_by_role("button", name="Withdraw from review").click()
    expect(page.get_by_text("Review withdrawn.")).to_be_visible()
    page.goto(url(session, f"/reviews/{mini.pk}/"))
    expect(page.get_by_role("heading", name=re.compile("Withdrawn by the company"))).to_be_visible()

    # A personal API token for the company's release pipeline: shown once.
    page.goto(url(session, "/people/api-tokens/"))
    page.get_by_label("Name").fill("Release pipeline")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name=re.compile("Your new token"))).to_be_visible()
    expect(page.locator("[data-new-token]")).to_contain_text("frp_")
    session.checkpoint(page, "api-token-liaison")
    return {"new_review_url": new_review_url}


def _agency(acronym):
    from agencies.models import Agency

    return Agency.objects.get(acronym=acronym)


# ----------------------------------------------------------------- reviewer

def reviewer_journey(session: Session) -> dict:
    """NSA's reviewer: accept an assignment (conflict-of-interest declaration),
    accept the terms, download a document, ask a blocking RFI (the clock stops),
    record a finding, fill the checklist, read the reminders in the bell."""
    from django.utils import timezone

    from reminders.services import reminders_run
    from reviews import services as review_services

    reviewer, lead, admin = _user("reviewer.nsa@agency.example"), _user("lead.nsa@agency.example"), _user("admin@portal.example")
    mini = _submitted_review("Atlas-2 Edge")
    # Earlier: the program office opened the Atlas-2 Edge review, Northwind
    # handed over a document and NSA's lead asked this reviewer to take part.
    review_services.review_open(review_id=mini.pk, actor=admin)
    _document(mini, "liaison@northwind.example", "Atlas-2 Edge system card", "system-card.pdf")
    assignment = review_services.assignment_invite(review=mini, reviewer=reviewer, actor=lead)

    page = session.page_for(reviewer.email)
    session.checkpoint(page, "dashboard-reviewer")

    # Accept the assignment with the keyboard only.
    page.goto(url(session, f"/assignments/{assignment.pk}/"))
    tab_to(page, "input[name=has_conflict][value=no]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=has_conflict][value=no]")).to_be_checked()
    tab_to(page, "textarea[name=coi_declaration]")
    session.checkpoint(page, "assignment-reviewer")
    tab_to(page, "button:has-text('Accept assignment')")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Assignment accepted.")).to_be_visible()

    # The terms come before the material.
    expect(page.get_by_role("button", name="Accept and open the review")).to_be_visible()
    session.checkpoint(page, "terms-reviewer")
    page.get_by_label("I have read these terms and I will follow them.").check()
    page.get_by_role("button", name="Accept and open the review").click()
    expect(page.get_by_text("Access terms accepted.")).to_be_visible()

    # Open the documents and download one.
    page.goto(url(session, f"/reviews/{mini.pk}/documents/"))
    page.get_by_role("link", name="Atlas-2 Edge system card").click()
    session.checkpoint(page, "document-reviewer")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("^Download")).first.click()
    download = download_info.value
    assert download.suggested_filename == "system-card.pdf", download.suggested_filename
    assert download.failure() is None

    # A blocking RFI stops the review clock.
    page.goto(url(session, f"/reviews/{mini.pk}/rfis/"))
    page.get_by_label("Subject").fill("Safeguard evaluation for the distilled weights")
    page.get_by_label("Question").fill("Which of Atlas-2's refusal evaluations were re-run on the Edge build, and with what results?")
    page.get_by_label(re.compile("^Blocking")).check()
    session.checkpoint(page, "rfi-ask-reviewer")
    page.get_by_role("button", name="Send question").click()
    expect(page.get_by_role("heading", name="Safeguard evaluation for the distilled weights")).to_be_visible()
    session.checkpoint(page, "rfi-reviewer")
    page.goto(url(session, f"/reviews/{mini.pk}/"))
    expect(page.locator(".badge-stopped", has_text="Clock stopped")).to_be_visible()
    session.checkpoint(page, "review-clock-stopped-reviewer")

    # Record a finding.
    page.goto(url(session, f"/reviews/{mini.pk}/findings/"))
    page.get_by_label("Title").fill("Refusals weaker on exploit requests")
    page.get_by_label("Category").select_option(index=1)
    page.get_by_label("High").check()
    page.get_by_label("Description").fill("The Edge build wrote a working proof of concept for a public CVE where Atlas-2 refused.")
    page.get_by_label("Evidence").fill("Lab run 2026-11-26, transcripts 3 and 7.")
    page.get_by_role("button", name="Record finding").click()
    expect(page.get_by_role("heading", level=1, name="Refusals weaker on exploit requests")).to_be_visible()
    session.checkpoint(page, "finding-reviewer")
    # The lab run's transcript as an evidence file: a PDF opens in the browser (View) as well as downloads.
    from demo.files import _pdf

    transcript = _pdf("Lab run 2026-11-26", ["Transcript 3: the Edge build's proof of concept."], more_pages=(["Transcript 7."],))
    page.locator("#evidence-file").set_input_files({"name": "lab-run-transcripts.pdf", "mimeType": "application/pdf", "buffer": transcript})
    page.get_by_role("button", name="Attach evidence").click()
    row = page.locator(".evidence-file", has_text="lab-run-transcripts.pdf")
    # Where a scanner runs (the production-like topology: clamd through a worker), the file opens once it
    # is scanned, and its row says so meanwhile; the page is read again until then.
    for _ in range(120):
        if row.get_by_role("link", name="View", exact=True).count():
            break
        expect(row).to_contain_text("This version is waiting for its virus scan; it opens once the scan finds it clean.")
        page.wait_for_timeout(500)
        page.reload()
    expect(row.get_by_role("link", name="View", exact=True)).to_have_attribute("href", re.compile(r"^/findings/evidence/\d+/view/$"))
    expect(row.get_by_role("link", name="Download", exact=True)).to_be_visible()
    session.checkpoint(page, "finding-evidence-reviewer")

    # Fill the readiness checklist, criterion by criterion.
    page.goto(url(session, f"/reviews/{mini.pk}/readiness/"))
    forms = page.locator("form[action*='/readiness/']")
    count = forms.count()
    assert count > 0, "the checklist has no criteria"
    for i in range(count):
        form = page.locator("form[action*='/readiness/']").nth(i)
        form.get_by_label("Met", exact=True).check()
        form.get_by_role("button", name=re.compile("^Save")).click()
        # Wait for htmx to swap the saved item in: the old form is already
        # checked, and a click on the next item while the swap lands is lost.
        item = page.locator("li.card").filter(has=page.locator("form[action*='/readiness/']")).nth(i)
        expect(item.get_by_role("status")).to_have_text("Saved.")
        expect(page.locator("form[action*='/readiness/']").nth(i).get_by_label("Met", exact=True)).to_be_checked()
    session.checkpoint(page, "readiness-reviewer")

    # The reminder sweep runs (Celery beat in production; here in process):
    # Atlas-2's window ends in 6 days, so the 7-day reminder is due.
    reminders_run(now=timezone.now())
    page.goto(url(session, "/"))
    bell = page.locator("summary.bell")
    expect(bell).to_have_text(re.compile(r"Notifications, \d+ unread"))
    bell.click()
    panel = page.locator(".bell-panel")
    expect(panel.get_by_role("button", name=re.compile("window ends in 7 days"))).to_be_visible()
    session.checkpoint(page, "bell-reviewer")
    panel.get_by_role("link", name="All notifications").click()
    expect(page.get_by_role("heading", level=1, name="Notifications")).to_be_visible()
    expect(page.locator(".notification-list")).to_contain_text(re.compile("remind|days before|window", re.I))
    session.checkpoint(page, "notifications-reviewer")

    # Times in their own zone: the reviewer chooses Berlin; records then read CET/CEST.
    page.locator("details.user-menu summary").click()
    page.get_by_role("link", name="Time zone").click()
    page.get_by_label("Time zone", exact=True).select_option("Europe/Berlin")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_text("Times are now shown in Europe/Berlin.")).to_be_visible()
    session.checkpoint(page, "time-zone-reviewer")
    page.goto(url(session, f"/reviews/{mini.pk}/history/"))
    expect(page.get_by_role("columnheader", name="When (Europe/Berlin)")).to_be_visible()
    expect(page.locator("tbody time").first).to_have_text(re.compile(r" CES?T$"))
    session.checkpoint(page, "history-reviewer")

    # Her keyboard shortcuts: "/" goes to the search box; she may turn it off.
    page.locator("details.user-menu summary").click()
    page.get_by_role("link", name="Keyboard shortcuts").click()
    expect(page.get_by_role("heading", level=1, name="Keyboard shortcuts")).to_be_visible()
    expect(page.get_by_label("Use single-key shortcuts")).to_be_checked()
    session.checkpoint(page, "keyboard-reviewer")

    # The header's search box, from any page: questions, documents, findings she may see;
    # a snippet from a PDF names the page it is on.
    page.get_by_role("searchbox", name="Find anything in the portal").fill("misuse classifier")
    page.get_by_role("searchbox", name="Find anything in the portal").press("Enter")
    expect(page.get_by_role("heading", level=1, name="Search")).to_be_visible()
    expect(page.locator(".search-hits")).to_contain_text("text of version 1, page 2")
    # …and opens that version in the browser's PDF viewer at that page.
    expect(page.get_by_role("link", name="Open at page 2")).to_have_attribute("href", re.compile(r"^/documents/versions/\d+/view/\?page=2$"))
    # …and lists every page of that report with the same words.
    expect(page.get_by_role("link", name="Every page that matches")).to_have_attribute("href", re.compile(r"^/documents/\d+/find/\?q=misuse\+classifier$"))
    session.checkpoint(page, "search-page-reviewer")
    # Where else in that report? The document's own find: every page that holds the words.
    page.locator(".search-hits").get_by_role("link", name="Atlas-2 model card").click()
    page.get_by_label("Find in this document’s text").fill("safeguards")
    page.get_by_label("Find in this document’s text").press("Enter")
    expect(page.get_by_role("heading", level=1, name="Find in Atlas-2 model card")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_have_text("2 pages of version 1 for “safeguards”")
    expect(page.get_by_role("link", name=re.compile(r"^Open at page [12]$"))).to_have_count(2)
    session.checkpoint(page, "document-find-reviewer")
    page.get_by_role("searchbox", name="Find anything in the portal").fill("tool-call logs")
    page.get_by_role("searchbox", name="Find anything in the portal").press("Enter")
    expect(page.get_by_role("heading", level=1, name="Search")).to_be_visible()
    expect(page.locator(".search-hits")).to_contain_text("Tool-use logs for the CTF evaluation")
    session.checkpoint(page, "search-reviewer")

    # She keeps the search, to be told when something new she may see matches it.
    page.get_by_role("button", name="Save this search").click()
    expect(page.get_by_text("Saved \u201ctool-call logs\u201d. You will be told when something new you may see matches it.")).to_be_visible()
    page.get_by_role("link", name="Saved searches", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Saved searches")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("tool-call logs")
    session.checkpoint(page, "saved-searches-reviewer")
    # Her lead asks about those logs; a quarter of an hour later the check (Celery beat) runs.
    from datetime import timedelta

    from rfis.services import rfi_create
    from search.services import saved_searches_check

    review_services.terms_accept(review=mini, user=lead)
    rfi_create(review_id=mini.pk, actor=lead, subject="Retention of tool-call logs", question="How long are the tool-call logs kept?")
    assert saved_searches_check(now=timezone.now() + timedelta(minutes=16)) == 1
    page.goto(url(session, "/notifications/"))
    told = page.get_by_role("button", name="New for your saved search \u201ctool-call logs\u201d: 1 question")
    expect(told).to_be_visible()
    session.checkpoint(page, "search-alert-reviewer")
    told.click()
    expect(page.get_by_role("heading", level=1, name="Search")).to_be_visible()
    expect(page.locator(".search-hits")).to_contain_text("Retention of tool-call logs")
    return {"review": mini.pk}


def _document(review, liaison_email, title, name):
    from demo.files import as_file
    from documents.models import DocumentKind, HandlingMarking
    from documents.services import document_create

    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return document_create(
        review=review, actor=_user(liaison_email), kind=DocumentKind.SYSTEM_CARD, title=title,
        marking=HandlingMarking.objects.get(name__startswith="Proprietary"), file=as_file(pdf, name), original_name=name,
    )


# ------------------------------------------------------- admin and lead

def admin_lead_journey(session: Session) -> dict:
    """Program admin and NSA lead: invite someone who signs up with MFA, open a
    submitted review, assign a reviewer, revoke access (the revoked reviewer's
    next click is "not found"), decide an extension, close the review, download
    the closing report and find that download in the audit trail."""
    from readiness.models import ChecklistItem
    from readiness.services import checklist_answer
    from reviews import services as review_services

    admin, lead, reviewer = _user("admin@portal.example"), _user("lead.nsa@agency.example"), _user("reviewer.nsa@agency.example")
    atlas, mini = _review("Atlas-2"), _submitted_review("Atlas-2 Edge")

    admin_page = session.page_for(admin.email)
    session.checkpoint(admin_page, "dashboard-admin")

    # Invite a new NSA reviewer.
    admin_page.goto(url(session, "/people/invitations/"))
    admin_page.get_by_label("E-mail address").fill("new.analyst@agency.example")
    admin_page.get_by_label("Full name").fill("Noa Analyst")
    admin_page.get_by_label("Role").select_option("agency_reviewer")
    admin_page.get_by_label("Agency").select_option(value=str(_agency("NSA").pk))
    session.checkpoint(admin_page, "invitations-admin")
    admin_page.get_by_role("button", name="Send invitation").click()
    expect(admin_page.get_by_text("Invitation sent to new.analyst@agency.example")).to_be_visible()

    # The invited person accepts and sets up two-factor authentication.
    newcomer = session.anonymous_page()
    newcomer.goto(session.invitation_link("new.analyst@agency.example"))
    session.checkpoint(newcomer, "invitation-accept")
    newcomer.get_by_label("Full name").fill("Noa Analyst")
    newcomer.get_by_label("Password", exact=True).fill(PASSWORD)
    newcomer.get_by_label("Password (again)").fill(PASSWORD)
    newcomer.get_by_role("button", name="Create my account").click()
    expect(newcomer.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    session.checkpoint(newcomer, "mfa-setup")
    secret = newcomer.locator("#authenticator_secret").inner_text().strip()
    newcomer.get_by_label(re.compile("code", re.I)).fill(fresh_totp(secret))
    newcomer.get_by_role("button", name="Activate").click()
    expect(newcomer.locator("form[action$='/accounts/logout/'] button")).to_be_attached()
    newcomer.goto(url(session, "/"))
    expect(newcomer.get_by_role("heading", name="Set up two-factor authentication")).to_have_count(0)
    expect(newcomer.get_by_role("heading", level=1)).to_be_visible()

    # Open the submitted review (Atlas-2 Edge).
    admin_page.goto(url(session, f"/reviews/{mini.pk}/"))
    session.checkpoint(admin_page, "review-submitted-admin")
    admin_page.get_by_role("button", name="Open the review window").click()
    expect(admin_page.get_by_text("Review opened.")).to_be_visible()

    # NSA's lead assigns the newcomer, with the keyboard only.
    lead_page = session.page_for(lead.email)
    lead_page.goto(url(session, f"/reviews/{mini.pk}/access/"))
    tab_to(lead_page, "#id_reviewer")
    choose_with_keyboard(lead_page, "#id_reviewer", "Noa Analyst")
    tab_to(lead_page, "button:has-text('Ask to review')")
    lead_page.keyboard.press("Enter")
    expect(lead_page.get_by_text("was asked to review")).to_be_visible()
    session.checkpoint(lead_page, "review-access-lead")
    lead_page.goto(url(session, f"/reviews/{atlas.pk}/"))
    session.checkpoint(lead_page, "review-detail-lead")

    # Revoke NSA's reviewer on Atlas-2 while they are looking at it.
    reviewer_page = session.page_for(reviewer.email)
    reviewer_page.goto(url(session, f"/reviews/{atlas.pk}/"))
    terms = reviewer_page.get_by_role("button", name="Accept and open the review")
    if terms.count():
        reviewer_page.get_by_label("I have read these terms and I will follow them.").check()
        terms.click()
    expect(reviewer_page.get_by_role("heading", level=1, name="Atlas-2")).to_be_visible()

    admin_page.goto(url(session, f"/reviews/{atlas.pk}/access/"))
    row = admin_page.locator("#people-title").locator("xpath=ancestor::section").locator("tr", has_text=reviewer.email)
    row.locator("summary", has_text="Revoke").click()
    row.get_by_label("Reason").fill("Moved to another engagement.")
    row.get_by_role("button", name="Revoke access").click()
    expect(admin_page.get_by_text("Access revoked for")).to_be_visible()

    reviewer_page.get_by_role("link", name="Findings").first.click()
    expect(reviewer_page.get_by_role("heading", level=1, name=NOT_FOUND)).to_be_visible()
    session.checkpoint(reviewer_page, "not-found-revoked-reviewer")

    # Decide the extension NSA's lead asked for, once the company has consented.
    extension = review_services.extension_request(
        review_id=atlas.pk, actor=lead, days=7, reason="The red-team lab was down for three days."
    )
    review_services.extension_answer(
        extension_id=extension.pk, actor=atlas.company.liaisons_group.user_set.order_by("pk").first(), consent=True,
        reason="Our release can move by a week.",
    )
    admin_page.goto(url(session, f"/reviews/{atlas.pk}/"))
    expect(admin_page.get_by_text("The company consents", exact=True)).to_be_visible()
    admin_page.get_by_role("button", name="Approve").click()
    expect(admin_page.get_by_text("Extension approved.")).to_be_visible()

    # NSA, the review's only agency, signs off (its checklist is complete): that closes the review.
    for item in ChecklistItem.objects.filter(review=atlas, answer=""):
        checklist_answer(item_id=item.pk, actor=lead, answer="met", note="")
    review_services.signoff_record(
        review_id=atlas.pk, actor=lead, conclusion="ready",
        summary="Atlas-2 may be released with the agreed mitigations.",
        recommendations="Rate-limit autonomous tool use; monitor CTF-style prompts.",
    )
    admin_page.goto(url(session, f"/reviews/{atlas.pk}/"))
    expect(admin_page.get_by_text("This review closed")).to_be_visible()
    session.checkpoint(admin_page, "review-closed-admin")
    with admin_page.expect_download() as download_info:
        admin_page.get_by_role("link", name="Closing report (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"review-{atlas.pk}-closing-report.pdf", download.suggested_filename
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    # Find that download in the audit trail.
    admin_page.goto(url(session, "/audit/"))
    rows = _audit_events(admin_page, action="report.generate", actor=admin.email)
    expect(rows.first).to_contain_text("report.generate")
    expect(rows.first).to_contain_text(f"review #{atlas.pk}")
    session.checkpoint(admin_page, "audit-admin")

    # Verify the hash chain from the page (the check of `manage.py verify_audit`).
    admin_page.get_by_role("button", name="Verify the chain").click()
    expect(admin_page.get_by_text("The chain is intact:")).to_be_visible()
    session.checkpoint(admin_page, "audit-verified-admin")

    # What the lead searches for is on the record too: each answer as she types is kept, and
    # once she stops (Celery beat's fold in production; here in process) it is one event.
    from datetime import timedelta

    from django.utils import timezone

    from search.services import SETTLE, search_records_fold

    lead_page.goto(url(session, "/search/"))
    lead_page.get_by_label("Search for").fill("atla")
    expect(lead_page.locator("#search-status")).to_contain_text("\u201catla\u201d")
    lead_page.get_by_label("Search for").fill("atlas")
    expect(lead_page.locator("#search-status")).to_contain_text("\u201catlas\u201d")
    search_records_fold(now=timezone.now() + SETTLE + timedelta(seconds=1))
    rows = _audit_events(admin_page, action="search.run", actor=lead.email)
    expect(rows.first).to_contain_text("Searched")
    expect(rows.first.locator("dl.payload")).to_contain_text("Searched for atlas")
    expect(rows.first.locator("dl.payload")).to_contain_text("Typed atla, atlas")
    expect(rows.first).not_to_contain_text("review #")
    session.checkpoint(admin_page, "audit-searches-admin")

    # People: NSA's lead sees NSA's people, deactivates the newcomer and lets them back in.
    lead_page.goto(url(session, "/people/"))
    newcomer_row = lead_page.locator("tr", has_text="new.analyst@agency.example")
    expect(newcomer_row).to_contain_text("Password + authenticator app")
    session.checkpoint(lead_page, "people-lead")
    newcomer_row.get_by_role("button", name=re.compile("^Deactivate")).click()
    expect(lead_page.get_by_text("Noa Analyst's account is deactivated")).to_be_visible()
    lead_page.locator("tr", has_text="new.analyst@agency.example").get_by_role("button", name=re.compile("^Reactivate")).click()
    expect(lead_page.get_by_text("Noa Analyst can sign in again.")).to_be_visible()

    # The program office's People page: an invitation never used is sent again.
    from accounts.services import invitation_create

    invitation_create(inviter=admin, email="pending.analyst@agency.example", role="agency_reviewer", agency_id=_agency("CISA").pk)
    admin_page.goto(url(session, "/people/"))
    invited_row = admin_page.locator("tr", has_text="pending.analyst@agency.example")
    expect(invited_row).to_contain_text("Invited")
    session.checkpoint(admin_page, "people-admin")
    invited_row.get_by_role("button", name=re.compile("^Resend")).click()
    expect(admin_page.get_by_text("Invitation sent again to pending.analyst@agency.example")).to_be_visible()
    return {"review": atlas.pk}


def _audit_events(page: Page, *, action: str, actor: str):
    """The audit trail (already open in ``page``) filtered to one action of one actor: its single row."""
    page.get_by_label("Action").fill(action)
    page.get_by_label("Actor (e-mail)").fill(actor)
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    return rows


def login_page(session: Session) -> None:
    """The sign-in page as an anonymous visitor sees it."""
    page = session.anonymous_page()
    page.goto(url(session, "/accounts/login/"))
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    session.checkpoint(page, "login")


# ------------------------------------------------------------- model access

MODEL_ACCESS_SECRET = "sk-journey-3f9a1c7e5b2d"  # noqa: S105 - a throwaway journey value


def _stale_sign_in(page) -> None:
    """Ages the browser session's sign-in past PORTAL_STEP_UP_MINUTES, as if the
    reviewer had signed in an hour ago: the next sensitive act asks again."""
    from importlib import import_module

    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
    from django.conf import settings
    from django.utils import timezone

    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    an_hour_ago = timezone.now().timestamp() - 3600
    store[AUTHENTICATION_METHODS_SESSION_KEY] = [dict(r, at=an_hour_ago) for r in store[AUTHENTICATION_METHODS_SESSION_KEY]]
    store.save()


def model_access_journey(session: Session) -> dict:
    """Issue 21: Northwind's liaison describes the Atlas-2 API and issues NSA's
    reviewer (seen as "NSA reviewer 1") a key; the reviewer reveals it once after
    confirming it is them; NSA's lead sees it revealed."""
    atlas = _review("Atlas-2")
    page_path = f"/reviews/{atlas.pk}/model-access/"

    liaison = session.page_for("liaison@northwind.example")
    liaison.goto(url(session, page_path))
    liaison.get_by_label("Name").fill("Atlas-2 evaluation API")
    liaison.get_by_label("Address").fill("https://api.northwind.example/v1")
    liaison.get_by_label("Instructions").fill("Send the key as a Bearer token.")
    liaison.get_by_role("button", name="Add endpoint").click()
    expect(liaison.get_by_text("Access endpoint “Atlas-2 evaluation API” added")).to_be_visible()
    liaison.get_by_label("Reviewer", exact=True).select_option("NSA reviewer 1")
    liaison.get_by_label("Secret").fill(MODEL_ACCESS_SECRET)
    liaison.get_by_role("button", name="Issue credential").click()
    expect(liaison.get_by_text("Credential issued to NSA reviewer 1")).to_be_visible()
    expect(liaison.get_by_text("Set up, not revealed yet")).to_be_visible()
    expect(liaison.get_by_text("Riley")).to_have_count(0)  # the company sees the pseudonym only
    session.checkpoint(liaison, "model-access-liaison")

    reviewer = session.page_for("reviewer.nsa@agency.example")
    _stale_sign_in(reviewer)
    reviewer.goto(url(session, page_path))
    session.checkpoint(reviewer, "model-access-reviewer")
    reviewer.once("dialog", lambda dialog: dialog.accept())
    reviewer.get_by_role("button", name=re.compile("^Reveal")).click()
    # Step-up: the sign-in is too old, so the portal asks again, then reveals.
    expect(reviewer.get_by_role("heading", level=1, name="Confirm it's you")).to_be_visible()
    if reviewer.locator("input[name='code']").count():
        reviewer.locator("input[name='code']").fill(recovery_code(_user("reviewer.nsa@agency.example")))
    else:
        reviewer.get_by_label("Password").fill(PASSWORD)
    reviewer.get_by_role("button", name="Confirm").click()
    expect(reviewer.locator("#credential_secret")).to_have_text(MODEL_ACCESS_SECRET)
    session.checkpoint(reviewer, "credential-revealed-reviewer")

    lead = session.page_for("lead.nsa@agency.example")
    lead.goto(url(session, page_path))
    if lead.get_by_role("button", name="Accept and open the review").count():
        lead.get_by_label("I have read these terms and I will follow them.").check()
        lead.get_by_role("button", name="Accept and open the review").click()
        lead.goto(url(session, page_path))
    row = lead.locator("tr", has_text="NSA reviewer 1")
    expect(row).to_contain_text("Revealed")
    expect(lead.get_by_text(MODEL_ACCESS_SECRET)).to_have_count(0)
    session.checkpoint(lead, "model-access-lead")
    return {"review": atlas.pk}
