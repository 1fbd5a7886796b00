"""Wording seen by people (issue 19 item 9): each sentence that read wrong, rendered and read back."""

from __future__ import annotations

import html
import re

import pytest
from django.apps import apps
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts.people import person_with_organisation, possessive
from reviews.models import Review, ReviewStatus

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_person_with_organisation_names_the_organisation_once(demo):
    riley = demo["reviewer_nsa"]
    assert person_with_organisation(riley, viewer=demo["lead_nsa"]) == "Riley Reviewer (NSA)"
    assert person_with_organisation(riley, viewer=demo["admin"]) == "Riley Reviewer (NSA)"
    # Those who may not know the person see the organisation, once ("NSA", never "NSA (NSA)").
    assert person_with_organisation(riley, viewer=demo["liaison_northwind"]) == "NSA"
    assert person_with_organisation(riley, viewer=demo["lead_cisa"]) == "NSA"
    # The demo's people have names, not names with their organisation in them.
    from accounts.models import User

    assert [u.full_name for u in User.objects.filter(full_name__contains="(")] == []


def test_possessive_of_a_name_ending_in_s(demo, login):
    assert [possessive(n) for n in ("Contoso Labs", "Northwind AI", "NSA", "DHS", "CISA")] == [
        "Contoso Labs'", "Northwind AI's", "NSA's", "DHS's", "CISA's",
    ]
    tag = Template("{% load people %}{{ name|possessive }}")
    assert [tag.render(Context({"name": n})) for n in ("<b>Labs", "NSA")] == ["&lt;b&gt;Labs'", "NSA's"]  # escaped name, plain apostrophe
    page = _text(login(demo["liaison_contoso"]).get(reverse("dashboard")))
    assert "Contoso Labs' models" in page and "Labs's" not in page
    reviews = _text(login(demo["liaison_contoso"]).get(reverse("review_list")))
    assert "Contoso Labs' reviews." in reviews


def test_invitation_form_asks_to_choose_a_role_once(demo, login):
    page = _text(login(demo["admin"]).get(reverse("invitation_create")))
    assert page.count("Choose a role") == 1


def test_model_names_are_spelled_in_the_plural():
    """Django's default plural adds an "s": "document accesss", "review agencys"."""
    wrong = {
        m._meta.label: str(m._meta.verbose_name_plural)
        for m in apps.get_models()
        if re.search(r"(ss|sh|ch|x|[^aeiou]y)s$", str(m._meta.verbose_name_plural))
    }
    assert wrong == {}
    from documents.models import DocumentAccess

    assert DocumentAccess._meta.verbose_name_plural == "document accesses"


def test_a_refused_move_does_not_say_the_review_is_in_review(demo):
    from reviews import services
    from reviews.workflow import TransitionError

    with pytest.raises(TransitionError, match=r"^A review that is under review cannot be submitted\.$"):
        services.review_submit(review_id=demo["atlas"].pk, actor=demo["liaison_northwind"])


def test_admin_dashboard_tile_says_what_it_counts(demo, login):
    page = _text(login(demo["admin"]).get(reverse("dashboard")))
    tile = re.search(r'<span class="tile-label">Unread notifications</span>\s*<span class="tile-note">([^<]*)</span>', page)
    assert tile is not None and tile.group(1) == "Updates, reminders and escalations sent to you"


def test_withdrawn_review_reads_withdrawn_not_not_open_yet():
    tag = Template("{% load reviews_ui %}{% days_left review %}")
    never_opened = Review(status=ReviewStatus.WITHDRAWN, window_end=None)
    opened = Review(status=ReviewStatus.WITHDRAWN, window_end=timezone.now())
    draft = Review(status=ReviewStatus.DRAFT, window_end=None)
    assert ["Withdrawn" in tag.render(Context({"review": r})) for r in (never_opened, opened)] == [True, True]
    assert "Not open yet" in tag.render(Context({"review": draft}))


def test_liaison_review_page_leads_to_the_questions_waiting(demo, login):
    from rfis import services as rfi_services

    atlas = demo["atlas"]
    rfi = atlas.rfis.get()  # the demo's open question to Northwind
    url = reverse("review_detail", kwargs={"pk": atlas.pk})
    answer = f'href="{reverse("review_rfis", kwargs={"pk": atlas.pk})}">Answer the questions</a>'
    page = login(demo["liaison_northwind"]).get(url).content.decode()
    assert answer in page and "1 question that is waiting" in page
    assert page.index("Answer the questions") < page.index("Withdraw from review")
    assert answer not in login(demo["lead_nsa"], accept_terms_for=[atlas]).get(url).content.decode()
    rfi_services.rfi_answer(rfi_id=rfi.pk, actor=demo["liaison_northwind"], body="Attached.")
    assert answer not in login(demo["liaison_northwind"]).get(url).content.decode()


def test_demo_timelines_agree_with_their_windows(demo):
    now = timezone.now()
    for review in Review.objects.filter(status=ReviewStatus.IN_REVIEW):
        at = dict(review.transitions.filter(name__in=["create", "submit", "open"]).values_list("name", "at"))
        assert at["create"] == review.created_at and at["submit"] == review.submitted_at, review
        assert at["create"] < at["submit"] < at["open"] == review.window_start <= now < review.window_end, review


def test_demo_notifications_each_name_their_review(demo):
    from collections import Counter

    from notifications.models import Notification

    rows = list(Notification.objects.values_list("recipient_id", "title"))
    assert rows and [t for _, t in rows if not re.search(r"review #\d+", t)] == []
    assert [key for key, n in Counter(rows).items() if n > 1] == []  # nobody holds two that read the same
