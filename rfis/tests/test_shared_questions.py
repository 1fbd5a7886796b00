"""One question, many agencies: shared by default, agency-private when it must be,
"asked already?" suggestions (pg_trgm, pinned), following instead of asking, one
answer reaching every follower, and the clock stopping once per question."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from conftest import DEMO_ROLES
from notifications.models import Notification
from reviews.models import ClockStop, ReviewTransition
from reviews.selectors import review_page_get
from rfis import selectors, services
from rfis.models import InformationRequest, RfiFollow, RfiStatus
from rfis.services import RfiError

pytestmark = pytest.mark.django_db

SEES_MINI = {"admin", "lead_nsa", "reviewer_nsa", "lead_cisa", "reviewer_cisa", "liaison_northwind"}
NSA = {"lead_nsa", "reviewer_nsa"}
CISA = {"lead_cisa", "reviewer_cisa"}


def _ask(demo, who="reviewer_nsa", **kw):
    kw.setdefault("subject", "Sandbox credentials expired")
    kw.setdefault("question", "The sandbox credentials we were given expired yesterday; please issue new ones.")
    return services.rfi_create(review_id=demo["atlas_mini"].pk, actor=demo[who], **kw)


def _subjects(qs) -> set[str]:
    return set(qs.values_list("subject", flat=True)) if hasattr(qs, "values_list") else {r.subject for r in qs}


# --- 1. Shared by default, private when it must be ----------------------------------


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_private_question_is_seen_by_its_agency_the_company_and_the_office_only(demo, role):
    private = _ask(demo, private=True)
    shared = _ask(demo, subject="Refusal data", question="Which refusal data was used?")
    visible = set(InformationRequest.objects.visible_to(demo[role], review=demo["atlas_mini"].pk).values_list("pk", flat=True))
    expected = set()
    if role in SEES_MINI:
        expected = {shared.pk} | (set() if role in CISA else {private.pk})
    assert visible & {private.pk, shared.pk} == expected
    # The demo's two shared questions stay visible to everyone on the review.
    assert len(visible - {private.pk, shared.pk}) == (2 if role in SEES_MINI else 0)


def test_private_question_is_404_and_not_counted_for_the_other_agency(demo, login):
    private = _ask(demo, private=True)
    client = login(demo["reviewer_cisa"], accept_terms_for=[demo["atlas_mini"]])
    assert client.get(reverse("rfi_detail", kwargs={"pk": private.pk})).status_code == 404
    page = client.get(reverse("review_rfis", kwargs={"pk": demo["atlas_mini"].pk})).content.decode()
    assert "Sandbox credentials expired" not in page
    # The review page's open-question count leaves it out for CISA, not for NSA.
    cisa_page = review_page_get(user=demo["reviewer_cisa"], pk=demo["atlas_mini"].pk, summaries=True)[0]
    nsa_page = review_page_get(user=demo["reviewer_nsa"], pk=demo["atlas_mini"].pk, summaries=True)[0]
    assert (cisa_page.open_rfi_count, nsa_page.open_rfi_count) == (2, 3)


def test_shared_question_is_labelled_with_the_agency_never_the_person_across_agencies(demo, login):
    rfi = _ask(demo)
    for role in ("reviewer_cisa", "lead_cisa", "liaison_northwind"):
        client = login(demo[role], accept_terms_for=[demo["atlas_mini"]] if role in CISA else [])
        for url in (reverse("rfi_detail", kwargs={"pk": rfi.pk}), reverse("review_rfis", kwargs={"pk": demo["atlas_mini"].pk})):
            html = client.get(url).content.decode()
            assert "NSA" in html and "Riley Reviewer" not in html and "reviewer.nsa@" not in html, (role, url)
    # Other agencies hear of a shared question (so they can follow it); a private one only its own.
    assert Notification.objects.filter(verb="rfi.asked", url=reverse("rfi_detail", kwargs={"pk": rfi.pk}), recipient=demo["reviewer_cisa"]).exists()
    private = _ask(demo, private=True, subject="Private one")
    assert not Notification.objects.filter(url=reverse("rfi_detail", kwargs={"pk": private.pk}), recipient__membership__agency=demo["cisa"]).exists()


# --- 2. "Asked already?" ------------------------------------------------------------
# Pinned on PostgreSQL (pg_trgm): the demo's questions on Atlas-2 Mini are
# "Distillation data for the safeguard layer" (NSA) and "On-device update channel" (CISA).
MUST_MATCH = [
    ({"subject": "Update channel for on-device copies"}, "On-device update channel"),  # 0.71
    ({"subject": "How are updates delivered on device"}, "On-device update channel"),  # 0.37
    ({"subject": "Which data was used to distil the safeguards"}, "Distillation data for the safeguard layer"),  # 0.38
    ({"subject": "Data", "question": "What safety-classifier data was used to distil the Mini safeguards?"},
     "Distillation data for the safeguard layer"),  # question text 0.62
]
MUST_NOT_MATCH = [
    {"subject": "GPU cluster used for training"},  # 0.04 / 0.04
    {"subject": "Safeguard layer bypass rates"},  # 0.296 against the NSA subject: just under the threshold
    {"subject": "Results of the red-team evaluation"},
    {"subject": "Data", "question": "How many GPUs were used?"},
    {"subject": "ab"},  # too short to compare
]


def test_similarity_threshold_is_pinned():
    assert selectors.SIMILARITY_THRESHOLD == 0.3
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize("typed,expected", MUST_MATCH)
def test_similar_questions_match_pinned_examples(demo, typed, expected):
    found = list(selectors.rfi_similar(user=demo["reviewer_cisa"], review=demo["atlas_mini"].pk, **typed))
    assert [r.subject for r in found] == [expected]
    assert found[0].similarity >= 0.3


@pytest.mark.parametrize("typed", MUST_NOT_MATCH)
def test_similar_questions_do_not_match_pinned_counterexamples(demo, typed):
    assert list(selectors.rfi_similar(user=demo["reviewer_cisa"], review=demo["atlas_mini"].pk, **typed)) == []


def test_similar_questions_stay_on_their_review(demo):
    # Atlas-2 has "Tool-use logs for the CTF evaluation"; asking on Atlas-2 Mini does not suggest it.
    typed = {"subject": "Tool-use logs for the CTF evaluation"}
    assert _subjects(selectors.rfi_similar(user=demo["reviewer_nsa"], review=demo["atlas_mini"].pk, **typed)) == set()
    assert _subjects(selectors.rfi_similar(user=demo["reviewer_nsa"], review=demo["atlas"].pk, **typed)) == {typed["subject"]}


def test_private_question_never_appears_in_another_agencys_suggestions(demo, login):
    _ask(demo, private=True)
    typed = {"subject": "Sandbox credentials expired", "question": "Our sandbox credentials expired."}
    assert _subjects(selectors.rfi_similar(user=demo["reviewer_cisa"], review=demo["atlas_mini"].pk, **typed)) == set()
    assert _subjects(selectors.rfi_similar(user=demo["lead_cisa"], review=demo["atlas_mini"].pk, **typed)) == set()
    assert _subjects(selectors.rfi_similar(user=demo["lead_nsa"], review=demo["atlas_mini"].pk, **typed)) == {"Sandbox credentials expired"}
    # Nor in the fragment the ask form loads while typing.
    client = login(demo["reviewer_cisa"], accept_terms_for=[demo["atlas_mini"]])
    html = client.get(reverse("review_rfis_similar", kwargs={"pk": demo["atlas_mini"].pk}), typed).content.decode()
    assert "Sandbox credentials" not in html and "Asked already?" not in html


def test_suggestion_fragment_offers_to_follow(demo, login):
    client = login(demo["reviewer_cisa"], accept_terms_for=[demo["atlas_mini"]])
    url = reverse("review_rfis_similar", kwargs={"pk": demo["atlas_mini"].pk})
    response = client.get(url, {"subject": "Which data was used to distil the safeguards"})
    html = response.content.decode()
    rfi = demo["atlas_mini"].rfis.get(agency=demo["nsa"])
    assert response.status_code == 200
    assert "Asked already?" in html and "Distillation data for the safeguard layer" in html and "asked by NSA" in html
    assert reverse("rfi_follow", kwargs={"pk": rfi.pk}) in html
    # A CISA question is not offered for CISA to follow.
    own = client.get(url, {"subject": "Update channel for on-device copies"}).content.decode()
    assert "On-device update channel" in own and "Follow instead" not in own


def test_plain_fallback_matches_words_of_the_subject(demo, monkeypatch):
    # SQLite (the embedded default) has no pg_trgm: a case-insensitive match of the subject's words.
    monkeypatch.setattr(connection, "vendor", "sqlite")
    found = selectors.rfi_similar(user=demo["reviewer_cisa"], review=demo["atlas_mini"].pk, subject="distillation of what?")
    assert _subjects(found) == {"Distillation data for the safeguard layer"}
    assert _subjects(selectors.rfi_similar(user=demo["reviewer_cisa"], review=demo["atlas_mini"].pk, subject="GPU use")) == set()


# --- following, and one answer reaching every follower --------------------------------


def test_follow_instead_of_asking_and_one_answer_reaches_every_follower(demo, login):
    rfi = demo["atlas_mini"].rfis.get(agency=demo["nsa"])
    before = InformationRequest.objects.count()
    services.rfi_follow(rfi_id=rfi.pk, actor=demo["reviewer_cisa"])
    assert InformationRequest.objects.count() == before  # no second question
    assert list(rfi.follows.values_list("agency__acronym", flat=True)) == ["CISA"]
    # The company sees one question with the agencies that asked it, and no person.
    company = login(demo["liaison_northwind"])
    html = company.get(reverse("rfi_detail", kwargs={"pk": rfi.pk})).content.decode()
    assert "Asked by NSA, CISA" in html and "Casey Reviewer" not in html and "Riley Reviewer" not in html
    listing = company.get(reverse("review_rfis", kwargs={"pk": demo["atlas_mini"].pk})).content.decode()
    assert listing.count(">Distillation data for the safeguard layer</a>") == 1 and "also asked by CISA" in listing
    services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Only the public refusal set.")
    answered = Notification.objects.filter(verb="rfi.answered", url=reverse("rfi_detail", kwargs={"pk": rfi.pk}))
    assert set(answered.values_list("recipient__email", flat=True)) == {
        "lead.nsa@agency.example", "reviewer.nsa@agency.example", "lead.cisa@agency.example", "reviewer.cisa@agency.example",
    }
    cisa = login(demo["reviewer_cisa"], accept_terms_for=[demo["atlas_mini"]])
    assert "Only the public refusal set." in cisa.get(reverse("rfi_detail", kwargs={"pk": rfi.pk})).content.decode()


def test_follow_through_the_page(demo, login):
    rfi = demo["atlas_mini"].rfis.get(agency=demo["nsa"])
    client = login(demo["lead_cisa"], accept_terms_for=[demo["atlas_mini"]])
    page = client.get(reverse("rfi_detail", kwargs={"pk": rfi.pk})).content.decode()
    assert "Follow this question" in page
    response = client.post(reverse("rfi_follow", kwargs={"pk": rfi.pk}))
    assert response.status_code == 302
    assert RfiFollow.objects.filter(rfi=rfi, agency=demo["cisa"], followed_by=demo["lead_cisa"]).exists()
    assert "Follow this question" not in client.get(reverse("rfi_detail", kwargs={"pk": rfi.pk})).content.decode()
    # Again: refused with a message, nothing written.
    again = client.post(reverse("rfi_follow", kwargs={"pk": rfi.pk}), follow=True)
    assert "Your agency already follows this question." in again.content.decode()
    assert RfiFollow.objects.filter(rfi=rfi).count() == 1


@pytest.mark.parametrize(
    "case,message",
    [
        ("private", "This question is private to the agency that asked it."),
        ("own", "Your agency asked this question."),
        ("twice", "Your agency already follows this question."),
        ("closed", "This question is closed; ask a new one."),
    ],
)
def test_follow_refusals_leave_nothing_behind(demo, case, message):
    rfi = _ask(demo, private=case == "private")
    actor = demo["reviewer_nsa"] if case == "own" else demo["reviewer_cisa"]
    if case == "twice":
        services.rfi_follow(rfi_id=rfi.pk, actor=demo["lead_cisa"])
    if case == "closed":
        services.rfi_close(rfi_id=rfi.pk, actor=demo["reviewer_nsa"])
    before = RfiFollow.objects.count()
    with pytest.raises(RfiError) as exc:
        services.rfi_follow(rfi_id=rfi.pk, actor=actor)
    assert str(exc.value) == message
    assert RfiFollow.objects.count() == before


@pytest.mark.parametrize("role", ["admin", "liaison_northwind"])
def test_only_agencies_that_may_ask_follow(demo, role):
    rfi = _ask(demo)
    with pytest.raises(PermissionDenied):
        services.rfi_follow(rfi_id=rfi.pk, actor=demo[role])
    assert not RfiFollow.objects.filter(rfi=rfi).exists()


# --- 4. Blocking stays fair -------------------------------------------------------------


def test_blocking_question_stops_the_clock_once_however_many_agencies_follow(demo):
    review = demo["atlas_mini"]
    rfi = _ask(demo, blocking=True)
    services.rfi_follow(rfi_id=rfi.pk, actor=demo["reviewer_cisa"])
    assert ClockStop.objects.filter(review=review).count() == 1
    services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="New credentials sent.")
    rfi.refresh_from_db()
    assert rfi.status == RfiStatus.ANSWERED
    assert ClockStop.objects.filter(review=review, resumed_at__isnull=True).count() == 0
    assert list(ReviewTransition.objects.filter(review=review, name__startswith="clock_").values_list("name", flat=True)) == [
        "clock_stop", "clock_resume",
    ]


def test_only_the_asking_agency_or_the_program_office_closes_a_shared_question(demo, login):
    """No agency acts for another: CISA follows NSA's question and sees it,
    but neither closes it nor gets the form; NSA's reviewer and the program
    office do."""
    from portal.errors import NotAllowed

    rfi = _ask(demo)
    services.rfi_follow(rfi_id=rfi.pk, actor=demo["reviewer_cisa"])
    for who in ("reviewer_cisa", "lead_cisa"):
        with pytest.raises(NotAllowed):
            services.rfi_close(rfi_id=rfi.pk, actor=demo[who])
        client = login(demo[who], accept_terms_for=[demo["atlas_mini"]])
        page = client.get(reverse("rfi_detail", kwargs={"pk": rfi.pk})).content.decode()
        assert 'action="{}"'.format(reverse("rfi_close", kwargs={"pk": rfi.pk})) not in page
        assert client.post(reverse("rfi_close", kwargs={"pk": rfi.pk}), {"close-body": "Done"}).status_code == 404
    rfi.refresh_from_db()
    assert rfi.status == RfiStatus.OPEN and not rfi.messages.filter(kind="close").exists()

    asker = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas_mini"]])
    page = asker.get(reverse("rfi_detail", kwargs={"pk": rfi.pk})).content.decode()
    assert 'action="{}"'.format(reverse("rfi_close", kwargs={"pk": rfi.pk})) in page
    assert asker.post(reverse("rfi_close", kwargs={"pk": rfi.pk}), {"close-body": "Resolved."}).status_code == 302
    rfi.refresh_from_db()
    assert rfi.status == RfiStatus.CLOSED

    other = _ask(demo, who="reviewer_cisa", subject="Rate limits on the eval API", question="What are the rate limits?")
    services.rfi_close(rfi_id=other.pk, actor=demo["admin"])
    other.refresh_from_db()
    assert other.status == RfiStatus.CLOSED
