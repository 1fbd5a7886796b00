"""'Needs my action': each item appears for the person who must act, goes when
it is done, and never appears for people outside its scope (demo world)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.inbox import inbox_for, office_inbox
from findings import services as finding_services
from readiness.models import ChecklistItem
from readiness.services import checklist_answer
from reviews import services
from reviews.models import Assignment, Review
from reviews.tests.factories import make_review
from rfis import services as rfi_services
from rfis.models import InformationRequest

pytestmark = pytest.mark.django_db

PEOPLE = ["admin", "lead_nsa", "lead_cisa", "reviewer_nsa", "reviewer_cisa", "liaison_northwind", "liaison_contoso"]


def urls(user, key: str) -> list[str]:
    """The links of one section of ``user``'s inbox ([] when the role has no such section)."""
    inbox = inbox_for(user, only={key})
    section = next((s for s in inbox.sections if s.key == key), None)
    return [] if section is None else [i.url for i in section.items]


def holders(demo, key: str, url: str) -> set[str]:
    """Which demo people have ``url`` in their inbox section ``key``."""
    return {name for name in PEOPLE if url in urls(demo[name], key)}


def review_url(review) -> str:
    return reverse("review_detail", kwargs={"pk": review.pk})


def rfi_url(rfi) -> str:
    return reverse("rfi_detail", kwargs={"pk": rfi.pk})


def atlas_rfi(demo) -> InformationRequest:
    return demo["atlas"].rfis.get(subject="Tool-use logs for the CTF evaluation")


def accept_terms(review, *users):
    for user in users:
        services.terms_accept(review=review, user=user)


# ------------------------------------------------------------------ reviewer
def test_assignment_to_answer_appears_for_the_invited_reviewer_until_answered(demo, fresh_shared_review):
    assignment = services.assignment_invite(review=fresh_shared_review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    url = reverse("assignment_detail", kwargs={"pk": assignment.pk})
    assert holders(demo, "assignments", url) == {"reviewer_nsa"}
    item = inbox_for(demo["reviewer_nsa"]).section("assignments").items[0]
    assert item.due == assignment.invited_at + timedelta(days=2)

    services.assignment_accept(assignment_id=assignment.pk, actor=demo["reviewer_nsa"], has_conflict=False, declaration="None.")
    assert holders(demo, "assignments", url) == set()


def test_terms_to_accept_appear_for_the_accepted_reviewer_until_accepted(demo):
    atlas = demo["atlas"]
    services.terms_update(review=atlas, actor=demo["liaison_northwind"], text="New terms: no copies outside the lab.")
    assert holders(demo, "terms", review_url(atlas)) == {"reviewer_nsa"}

    accept_terms(atlas, demo["reviewer_nsa"])
    assert holders(demo, "terms", review_url(atlas)) == set()


def test_answered_question_appears_for_its_asker_until_closed(demo):
    rfi = atlas_rfi(demo)
    assert holders(demo, "rfis_answered", rfi_url(rfi)) == set()
    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Logs attached to the evaluation report.")
    assert holders(demo, "rfis_answered", rfi_url(rfi)) == {"reviewer_nsa"}

    rfi_services.rfi_close(rfi_id=rfi.pk, actor=demo["reviewer_nsa"], body="Thanks.")
    assert holders(demo, "rfis_answered", rfi_url(rfi)) == set()


def test_open_checklist_items_appear_per_review_for_its_reviewers_until_answered(demo):
    atlas, mini = demo["atlas"], demo["atlas_mini"]
    url = reverse("review_checklist", kwargs={"pk": atlas.pk})
    assert holders(demo, "checklist", url) == {"reviewer_nsa"}
    section = inbox_for(demo["reviewer_nsa"]).section("checklist")
    open_items = ChecklistItem.objects.filter(review=atlas, agency=demo["nsa"], answer="")
    n = open_items.count()
    assert n > 1
    assert [i.note for i in section.items if i.url == url] == [f"{n} items open"]

    first, *rest = open_items
    checklist_answer(item_id=first.pk, actor=demo["reviewer_nsa"], answer="met", note="Seen.")
    section = inbox_for(demo["reviewer_nsa"]).section("checklist")
    assert [i.note for i in section.items if i.url == url] == [f"{n - 1} item{'s' if n - 1 != 1 else ''} open"]
    for item in rest:
        checklist_answer(item_id=item.pk, actor=demo["reviewer_nsa"], answer="met", note="Seen.")
    assert holders(demo, "checklist", url) == set()
    # The shared review's NSA checklist is still open; CISA's own checklist there is CISA's reviewer's.
    mini_url = reverse("review_checklist", kwargs={"pk": mini.pk})
    assert holders(demo, "checklist", mini_url) == {"reviewer_nsa", "reviewer_cisa"}


def test_window_ending_appears_for_the_reviewers_until_the_end_moves_away(demo):
    atlas = demo["atlas"]  # ends in 6 days
    assert holders(demo, "window_ending", review_url(atlas)) == {"reviewer_nsa"}
    Review.objects.filter(pk=atlas.pk).update(window_end=timezone.now() + timedelta(days=20))
    assert holders(demo, "window_ending", review_url(atlas)) == set()
    # Back within the days, then out of review: the section follows the review's status too.
    Review.objects.filter(pk=atlas.pk).update(window_end=timezone.now() + timedelta(days=2))
    assert holders(demo, "window_ending", review_url(atlas)) == {"reviewer_nsa"}
    Review.objects.filter(pk=atlas.pk).update(status="closed")
    assert holders(demo, "window_ending", review_url(atlas)) == set()


def test_stopped_clock_shows_on_the_dashboards_of_those_who_see_the_review_until_it_resumes(demo):
    atlas = demo["atlas"]
    accept_terms(atlas, demo["reviewer_nsa"])
    rfi = rfi_services.rfi_create(
        review_id=atlas.pk, actor=demo["reviewer_nsa"], subject="Credentials fail", question="The API key is refused.", blocking=True,
    )

    def stopped() -> set[str]:
        return {name for name in PEOPLE if review_url(atlas) in [i.url for i in inbox_for(demo[name], only={"stopped"}).stopped_clocks]}

    assert stopped() == {"admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"}
    liaison_rfis = inbox_for(demo["liaison_northwind"]).section("rfis").items
    assert [i.stopped for i in liaison_rfis if i.url == rfi_url(rfi)] == [True]

    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="A new key is issued.")
    assert stopped() == set()


# ---------------------------------------------------------------------- lead
def test_review_without_a_reviewer_appears_for_each_agencys_lead_until_one_is_assigned(demo, fresh_shared_review):
    url = review_url(fresh_shared_review)
    assert holders(demo, "uncovered", url) == {"lead_nsa", "lead_cisa"}
    services.assignment_invite(review=fresh_shared_review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    assert holders(demo, "uncovered", url) == {"lead_cisa"}


def test_review_goes_back_to_the_lead_when_its_reviewer_declines_or_is_removed(demo, fresh_shared_review):
    review = fresh_shared_review
    url = review_url(review)
    first = services.assignment_invite(review=review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    services.assignment_decline(assignment_id=first.pk, actor=demo["reviewer_nsa"], reason="On leave this month.")
    assert holders(demo, "uncovered", url) == {"lead_nsa", "lead_cisa"}

    again = services.assignment_invite(review=review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    services.assignment_accept(assignment_id=again.pk, actor=demo["reviewer_nsa"], has_conflict=False,
                               declaration="No conflict of interest with Northwind.")
    assert holders(demo, "uncovered", url) == {"lead_cisa"}

    services.assignment_remove(assignment_id=again.pk, actor=demo["lead_nsa"], reason="Moved to another review.")
    assert holders(demo, "uncovered", url) == {"lead_nsa", "lead_cisa"}


def test_lead_sections_hold_the_first_rows_in_the_reviews_order_and_the_full_count(demo, monkeypatch):
    """The lead's participation sections follow their reviews' dates and status
    (copied onto the participations by triggers) for the rows shown and the count."""
    from dashboard import inbox

    monkeypatch.setattr(inbox, "LIMIT", 2)
    lead = demo["lead_nsa"]

    def section(key):
        found = inbox_for(lead).section(key)
        return found.count, [i.title for i in found.items]

    before = {key: section(key)[0] for key in ("uncovered", "sign_offs")}
    cisa_before = {key: inbox_for(demo["lead_cisa"]).section(key).count for key in ("uncovered", "sign_offs")}
    reviews = [make_review(company=demo["northwind"], agencies=[demo["nsa"]], status="in_review") for _ in range(3)]
    now = timezone.now()
    for i, review in enumerate(reviews):
        Review.objects.filter(pk=review.pk).update(
            window_start=now - timedelta(days=300 - i), window_end=now - timedelta(days=200 - i)
        )
    label = [f"{r.model} review #{r.pk}" for r in reviews]
    assert section("uncovered") == (before["uncovered"] + 3, [label[0], label[1]])
    assert section("sign_offs") == (before["sign_offs"] + 3, [label[0], label[1]])

    # Dates move: the rows follow. Closed: gone from both, and from the counts.
    Review.objects.filter(pk=reviews[2].pk).update(window_start=now - timedelta(days=400))
    Review.objects.filter(pk=reviews[0].pk).update(window_end=now + timedelta(days=5))
    assert section("uncovered") == (before["uncovered"] + 3, [label[2], label[0]])
    assert section("sign_offs") == (before["sign_offs"] + 3, [label[1], label[2]])
    Review.objects.filter(pk=reviews[1].pk).update(status="closed")
    assert section("uncovered") == (before["uncovered"] + 2, [label[2], label[0]])
    assert section("sign_offs") == (before["sign_offs"] + 2, [label[2], label[0]])
    # Another agency's lead sees none of them: neither rows nor counts move.
    assert not {i.title for key in ("uncovered", "sign_offs") for i in inbox_for(demo["lead_cisa"]).section(key).items} & set(label)
    assert {key: inbox_for(demo["lead_cisa"]).section(key).count for key in ("uncovered", "sign_offs")} == cisa_before


def test_pending_extension_appears_for_the_leads_and_the_program_office_until_decided(demo):
    mini = demo["atlas_mini"]
    accept_terms(mini, demo["lead_nsa"])
    extension = services.extension_request(review_id=mini.pk, actor=demo["lead_nsa"], days=5, reason="Lab outage.")
    url = review_url(mini) + "#extensions-title"
    assert holders(demo, "extensions", url) == {"lead_nsa", "lead_cisa", "liaison_northwind", "admin"}
    notes = {name: inbox_for(demo[name]).section("extensions").items[0].note for name in ("lead_nsa", "lead_cisa")}
    assert "waits for the company's answer" in notes["lead_nsa"]
    assert notes["lead_cisa"] == "NSA asks for 5 more days: state your agency's position"

    services.extension_position(extension_id=extension.pk, actor=demo["lead_cisa"], supports=True)
    assert holders(demo, "extensions", url) == {"lead_nsa", "liaison_northwind", "admin"}
    services.extension_answer(extension_id=extension.pk, actor=demo["liaison_northwind"], consent=True, reason="Fine.")
    assert holders(demo, "extensions", url) == {"lead_nsa", "admin"}
    services.extension_decide(extension_id=extension.pk, actor=demo["admin"], approve=True)
    assert holders(demo, "extensions", url) == set()


def test_sign_off_due_appears_for_each_participating_lead_until_recorded(demo):
    mini = demo["atlas_mini"]
    url = reverse("review_sign_off", kwargs={"pk": mini.pk})
    assert holders(demo, "sign_offs", url) == {"lead_nsa", "lead_cisa"}
    accept_terms(mini, demo["lead_nsa"])
    services.signoff_record(review_id=mini.pk, actor=demo["lead_nsa"], conclusion="could_not_complete", summary="The lab was down.")
    assert holders(demo, "sign_offs", url) == {"lead_cisa"}


def test_unanswered_assignment_escalates_to_its_agencys_lead_until_answered(demo, fresh_shared_review):
    assignment = services.assignment_invite(review=fresh_shared_review, reviewer=demo["reviewer_nsa"], actor=demo["lead_nsa"])
    url = reverse("assignment_detail", kwargs={"pk": assignment.pk})
    assert holders(demo, "late_assignments", url) == set()  # not late yet
    Assignment.objects.filter(pk=assignment.pk).update(invited_at=timezone.now() - timedelta(days=3))
    assert holders(demo, "late_assignments", url) == {"lead_nsa"}
    services.assignment_decline(assignment_id=assignment.pk, actor=demo["reviewer_nsa"], reason="On leave.")
    assert holders(demo, "late_assignments", url) == set()


def test_overdue_private_question_escalates_to_its_own_agencys_lead_only(demo):
    mini = demo["atlas_mini"]
    accept_terms(mini, demo["reviewer_nsa"])
    rfi = rfi_services.rfi_create(
        review_id=mini.pk, actor=demo["reviewer_nsa"], subject="NSA-only: lab network layout", question="Which hosts?",
        private=True, due_at=timezone.now() + timedelta(days=1),
    )
    InformationRequest.objects.filter(pk=rfi.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert holders(demo, "late_rfis", rfi_url(rfi)) == {"lead_nsa"}
    # The company is asked it (first: overdue); CISA sees it nowhere on its dashboards.
    assert urls(demo["liaison_northwind"], "rfis")[0] == rfi_url(rfi)
    for name in ("lead_cisa", "reviewer_cisa"):
        assert all(rfi.subject not in i.title for s in inbox_for(demo[name]).sections for i in s.items)

    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="The lab range map.")
    assert holders(demo, "late_rfis", rfi_url(rfi)) == set()


# ------------------------------------------------------------------- liaison
def test_questions_to_answer_appear_for_the_company_overdue_first_until_answered(demo):
    rfi = atlas_rfi(demo)
    InformationRequest.objects.filter(pk=rfi.pk).update(due_at=timezone.now() - timedelta(days=1))
    assert holders(demo, "rfis", rfi_url(rfi)) == {"liaison_northwind"}
    assert urls(demo["liaison_northwind"], "rfis")[0] == rfi_url(rfi)

    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Attached.")
    assert holders(demo, "rfis", rfi_url(rfi)) == set()


def test_finding_shared_with_the_company_appears_for_its_liaisons_until_they_respond(demo):
    finding = demo["atlas"].findings.get()
    url = reverse("finding_detail", kwargs={"pk": finding.pk})
    assert holders(demo, "findings", url) == set()  # internal to NSA
    accept_terms(demo["atlas"], demo["lead_nsa"])
    finding_services.finding_share(finding_id=finding.pk, actor=demo["lead_nsa"], sharing="company")
    assert holders(demo, "findings", url) == {"liaison_northwind"}

    finding_services.finding_respond(finding_id=finding.pk, actor=demo["liaison_northwind"], response="acknowledged")
    assert holders(demo, "findings", url) == set()


def test_draft_review_appears_for_its_company_until_submitted(demo):
    from companies.tests.factories import AIModelFactory

    model = AIModelFactory(company=demo["northwind"], name="Atlas-4 Draft")
    draft = services.review_create(actor=demo["liaison_northwind"], model=model, agencies=[demo["nsa"]])
    assert holders(demo, "drafts", review_url(draft)) == {"liaison_northwind"}
    services.review_submit(review_id=draft.pk, actor=demo["liaison_northwind"])
    assert holders(demo, "drafts", review_url(draft)) == set()


# ------------------------------------------------------------ program office
def test_submitted_review_appears_for_the_program_office_until_opened(demo, fresh_shared_review):
    url = review_url(fresh_shared_review)
    assert holders(demo, "submitted", url) == {"admin"}
    services.review_open(review_id=fresh_shared_review.pk, actor=demo["admin"])
    assert holders(demo, "submitted", url) == set()


def test_question_three_days_overdue_escalates_to_the_program_office_until_answered(demo):
    rfi = atlas_rfi(demo)
    InformationRequest.objects.filter(pk=rfi.pk).update(due_at=timezone.now() - timedelta(days=2))
    assert holders(demo, "late_rfis", rfi_url(rfi)) == {"lead_nsa"}  # overdue: the asking agency's lead
    InformationRequest.objects.filter(pk=rfi.pk).update(due_at=timezone.now() - timedelta(days=4))
    assert holders(demo, "late_rfis", rfi_url(rfi)) == {"lead_nsa", "admin"}
    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Attached.")
    assert holders(demo, "late_rfis", rfi_url(rfi)) == set()


def test_review_past_its_window_appears_for_the_program_office_until_extended(demo):
    atlas = demo["atlas"]
    Review.objects.filter(pk=atlas.pk).update(window_end=timezone.now() - timedelta(hours=2))
    assert holders(demo, "past_window", review_url(atlas)) == {"admin"}
    Review.objects.filter(pk=atlas.pk).update(window_end=timezone.now() + timedelta(days=3))
    assert holders(demo, "past_window", review_url(atlas)) == set()


def test_office_sections_hold_the_oldest_overdue_first_and_the_full_count(demo, monkeypatch):
    """Past windows and overdue questions: the first rows by deadline and the
    full count, when the section holds more than it shows."""
    from dashboard import inbox

    monkeypatch.setattr(inbox, "LIMIT", 2)
    admin = demo["admin"]

    def section(key):
        found = inbox_for(admin).section(key)
        return found.count, [i.url for i in found.items]

    before = section("past_window")[0]
    reviews = [make_review(company=demo["northwind"], agencies=[demo["nsa"]], status="in_review") for _ in range(3)]
    now = timezone.now()
    for i, review in enumerate(reviews):
        Review.objects.filter(pk=review.pk).update(window_start=now - timedelta(days=330 - i), window_end=now - timedelta(days=300 - i))
    assert section("past_window") == (before + 3, [review_url(reviews[0]), review_url(reviews[1])])
    Review.objects.filter(pk=reviews[0].pk).update(window_end=now + timedelta(days=2))  # extended
    assert section("past_window") == (before + 2, [review_url(reviews[1]), review_url(reviews[2])])

    open_rfis = list(InformationRequest.objects.filter(status="open").order_by("pk")[:3])
    assert len(open_rfis) == 3
    for i, rfi in enumerate(open_rfis):
        InformationRequest.objects.filter(pk=rfi.pk).update(due_at=now - timedelta(days=300 - i))
    overdue = InformationRequest.objects.filter(status="open", due_at__lt=now - timedelta(days=3)).count()
    assert overdue >= 3
    assert section("late_rfis") == (overdue, [rfi_url(open_rfis[0]), rfi_url(open_rfis[1])])
    rfi_services.rfi_answer(rfi_id=open_rfis[0].pk, actor=demo["liaison_northwind"], body="Attached.")
    assert section("late_rfis") == (overdue - 1, [rfi_url(open_rfis[1]), rfi_url(open_rfis[2])])


def test_office_inbox_read_by_someone_else_holds_only_their_scope(demo):
    """The selectors scope through visible_to: a CISA lead reading the program
    office's sections gets nothing of the NSA-only reviews."""
    nsa_only = make_review(company=demo["northwind"], agencies=[demo["nsa"]], status="submitted", liaison=demo["liaison_northwind"])
    Review.objects.filter(pk=demo["atlas"].pk).update(window_end=timezone.now() - timedelta(hours=2))
    rfi = atlas_rfi(demo)
    InformationRequest.objects.filter(pk=rfi.pk).update(due_at=timezone.now() - timedelta(days=4))

    for user, seen in ((demo["admin"], True), (demo["lead_cisa"], False)):
        inbox = office_inbox(user=user)
        assert (review_url(nsa_only) in [i.url for i in inbox.section("submitted").items]) is seen
        assert (review_url(demo["atlas"]) in [i.url for i in inbox.section("past_window").items]) is seen
        assert (rfi_url(rfi) in [i.url for i in inbox.section("late_rfis").items]) is seen


# -------------------------------------------------------------- the page
@pytest.mark.parametrize(
    ("role", "section", "text"),
    [
        ("reviewer_nsa", "window_ending", "Windows ending soon"),
        ("lead_nsa", "sign_offs", "Record your agency&#x27;s sign-off"),
        ("liaison_northwind", "rfis", "Tool-use logs for the CTF evaluation"),
        ("admin", "past_window", "Reviews past their window"),
    ],
)
def test_dashboard_opens_with_the_inbox_linking_each_item(demo, login, role, section, text):
    if role == "admin":
        Review.objects.filter(pk=demo["atlas"].pk).update(window_end=timezone.now() - timedelta(hours=2))
    response = login(demo[role]).get(reverse("dashboard"))
    html = response.content.decode()
    assert html.index('id="inbox-title"') < html.index("<table", html.index('id="inbox-title"'))
    assert text in html
    for item in response.context["inbox"].section(section).items:
        assert f'href="{item.url}"' in html


def test_section_count_is_the_full_count_when_rows_are_cut(demo, monkeypatch):
    from companies.tests.factories import AIModelFactory

    from dashboard import inbox

    monkeypatch.setattr(inbox, "LIMIT", 2)
    for i in range(3):
        model = AIModelFactory(company=demo["northwind"], name=f"Draft {i}")
        services.review_create(actor=demo["liaison_northwind"], model=model, agencies=[demo["nsa"]])
    section = inbox_for(demo["liaison_northwind"]).section("drafts")
    assert (section.count, len(section.items)) == (3, 2)


def test_section_count_stops_at_the_cap_and_shows_it(demo, monkeypatch, login):
    """Past COUNT_CAP a section says "N+" (the count reads no further); the
    rows are still the first LIMIT, and the total and the page say "+" too."""
    from companies.tests.factories import AIModelFactory

    from dashboard import inbox

    monkeypatch.setattr(inbox, "LIMIT", 2)
    monkeypatch.setattr(inbox, "COUNT_CAP", 3)
    liaison = demo["liaison_northwind"]
    before = inbox_for(liaison).section("drafts").count
    for i in range(4 - before):
        model = AIModelFactory(company=demo["northwind"], name=f"Draft {i}")
        services.review_create(actor=liaison, model=model, agencies=[demo["nsa"]])
    box = inbox_for(liaison)
    assert (box.section("drafts").count, box.section("drafts").shown_count, len(box.section("drafts").items)) == (4, "3+", 2)
    others = sum(min(s.count, 3) for s in box.sections if s.key != "drafts")
    assert box.shown_total == f"{3 + others}+"
    model = AIModelFactory(company=demo["northwind"], name="Draft 4")
    services.review_create(actor=liaison, model=model, agencies=[demo["nsa"]])
    assert inbox_for(liaison).section("drafts").count == 4  # read no further than the cap + 1
    html = login(liaison).get(reverse("dashboard")).content.decode()
    drafts = html[html.index('data-section="drafts"'):]
    assert drafts[: drafts.index("</li>")].count('<span class="inbox-count-value">3+</span>') == 1
    assert "Submit your draft reviews: showing 2 of 3+." in html


def test_inbox_rows_show_the_task_the_item_escaped_and_when_it_is_due(demo, login):
    atlas = demo["atlas"]  # ends in 6 days: "Windows ending soon" for NSA's reviewer
    atlas.model.name = "<i>Atlas</i>"
    atlas.model.save(update_fields=["name"])

    def row():
        html = login(demo["reviewer_nsa"]).get(reverse("dashboard")).content.decode()
        start = html.index('<tr data-section="window_ending">')
        return html[start: html.index("</tr>", start)]

    due = timezone.localtime(Review.objects.get(pk=atlas.pk).window_end)
    ending = row()
    assert "<td>Windows ending soon</td>" in ending
    assert f'<a class="cell-title" href="{review_url(atlas)}">&lt;i&gt;Atlas&lt;/i&gt;' in ending
    assert "<i>" not in ending
    assert f'<time datetime="{due.isoformat()}">{due:%b} {due.day}, {due.year}</time>' in ending
    assert "Overdue" not in ending

    Review.objects.filter(pk=atlas.pk).update(window_end=timezone.now() - timedelta(hours=2))
    assert '<br><span class="deadline deadline-over">Overdue</span>' in row()


def test_reviewer_dashboard_rows_lead_an_invitation_to_its_answer_and_an_accepted_assignment_to_the_review(demo, login, fresh_shared_review):
    reviewer = demo["reviewer_nsa"]
    invitation = services.assignment_invite(review=fresh_shared_review, reviewer=reviewer, actor=demo["lead_nsa"])
    fresh_shared_review.model.name = "Atlas-3 <Preview>"
    fresh_shared_review.model.save(update_fields=["name"])
    html = login(reviewer).get(reverse("dashboard")).content.decode()
    table = html[html.index("<caption>Assignments"):]

    def row(url):
        start = table.rindex("<tr", 0, table.index(f'href="{url}"'))
        return table[start: table.index("</tr>", start)]

    invited = row(reverse("assignment_detail", kwargs={"pk": invitation.pk}))
    asked = timezone.localtime(invitation.invited_at)
    assert invited.startswith('<tr class="row-highlight">')
    assert "Atlas-3 &lt;Preview&gt;" in invited and "<Preview>" not in invited
    assert f"Review #{fresh_shared_review.pk} &middot; NSA</span>" in invited
    assert f'<span class="cell-sub">Asked {asked:%b} {asked.day}, {asked.year}</span>' in invited
    version = fresh_shared_review.model.version
    assert f'>Respond<span class="visually-hidden"> to the Atlas-3 &lt;Preview&gt; {version} invitation</span></a>' in invited

    accepted = row(review_url(demo["atlas"]))
    assert accepted.startswith("<tr>")
    assert '<span class="visually-hidden">Assignment: </span>Accepted</span>' in accepted
    assert f">Open<span class=\"visually-hidden\"> the {demo['atlas'].model} review</span></a>" in accepted
    assert "Respond" not in accepted


@pytest.mark.parametrize("person", PEOPLE)
def test_inbox_statements_kept_compiled_answer_what_fresh_ones_do(demo, person, settings, monkeypatch):
    """Every section's statements are compiled once per reader and process
    (``portal.statements``): the same rows, counts and stopped clocks as
    compiled afresh, with sections cut at two so the count and the ordered
    page run too."""
    from dashboard import inbox
    from portal import statements

    monkeypatch.setattr(inbox, "LIMIT", 2)
    user = demo[person]

    def snapshot():
        box = inbox_for(user)
        return [(s.key, s.count, s.items) for s in box.sections], box.stopped_count, box.stopped_clocks

    settings.PORTAL_STATEMENT_CACHE = False
    fresh = snapshot()
    settings.PORTAL_STATEMENT_CACHE = True  # a settings change: nothing kept yet
    assert statements.entries() == []
    assert snapshot() == fresh
    assert snapshot() == fresh
    held = {key[2][1:3]: kept for key, kept in statements.entries() if key[2][0] == "dashboard.inbox"}
    assert held and all(held.values()), held


def test_inbox_statements_kept_compiled_follow_the_rows(demo, monkeypatch):
    """The kept statements are not a snapshot: a question answered and one
    asked after the reader's inbox was first read move their sections."""
    from dashboard import inbox

    monkeypatch.setattr(inbox, "LIMIT", 2)
    liaison = demo["liaison_northwind"]
    before = inbox_for(liaison).section("rfis")
    rfi = rfi_services.rfi_create(
        review_id=demo["atlas_mini"].pk, actor=demo["reviewer_nsa"], subject="Kept statements", question="Still fresh?",
    )
    InformationRequest.objects.filter(pk=rfi.pk).update(due_at=timezone.now() - timedelta(days=400))  # the most overdue
    after = inbox_for(liaison).section("rfis")
    assert after.count == before.count + 1 and after.items[0].title == "Kept statements"


def test_a_full_sections_count_reads_only_the_ids(demo, monkeypatch):
    """Counting a full section keeps nothing of its rows' select list: the
    sign-off section's running clock stop is read for the ten rows shown, not
    for every row counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboard import inbox

    monkeypatch.setattr(inbox, "LIMIT", 2)
    for _ in range(3):
        make_review(company=demo["northwind"], agencies=[demo["nsa"]], status="in_review")
    with CaptureQueriesContext(connection) as queries:
        section = inbox_for(demo["lead_nsa"], only={"sign_offs"}).section("sign_offs")
    assert section.count >= 3 and len(section.items) == 2
    counts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    rows = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT COUNT(*)")]
    assert len(counts) == 1 and "stopped_at" not in counts[0]
    assert any("stopped_at" in sql for sql in rows)


def test_a_full_sections_rows_read_by_id_keep_their_joins_and_annotations(demo, monkeypatch):
    """Past LIMIT the first rows are found by their ids in order and then read
    by id: the question's agency, review and running clock stop still come with
    them, in the section's order."""
    from dashboard import inbox

    monkeypatch.setattr(inbox, "LIMIT", 1)
    atlas, liaison = demo["atlas"], demo["liaison_northwind"]
    accept_terms(atlas, demo["reviewer_nsa"])
    blocking = rfi_services.rfi_create(
        review_id=atlas.pk, actor=demo["reviewer_nsa"], subject="Key refused", question="The API key is refused.", blocking=True,
    )
    later = rfi_services.rfi_create(review_id=atlas.pk, actor=demo["reviewer_nsa"], subject="Later one", question="Any logs?")
    InformationRequest.objects.filter(pk=blocking.pk).update(due_at=timezone.now() - timedelta(days=500))
    InformationRequest.objects.filter(pk=later.pk).update(due_at=timezone.now() - timedelta(days=499))
    section = inbox_for(liaison).section("rfis")
    assert section.count >= 2
    [item] = section.items
    assert (item.title, item.url, item.review, item.stopped) == ("Key refused", rfi_url(blocking), f"{atlas.model} review #{atlas.pk}", True)
    assert item.note == "From NSA; blocking: the review's clock is stopped until you answer"
    monkeypatch.setattr(inbox, "LIMIT", 2)
    assert [i.title for i in inbox_for(liaison).section("rfis").items] == ["Key refused", "Later one"]
