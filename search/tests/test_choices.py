"""The search page's agency and company filters list what the user sees, and
follow every change at once although they are cached: a new participating
agency, a revoked review; with the cache down they are computed."""

from __future__ import annotations

import pytest

from agencies.models import Agency
from reviews.services import review_create, review_update
from search.selectors import filter_choices

pytestmark = pytest.mark.django_db


def _choices(user):
    user = type(user).objects.select_related("membership").get(pk=user.pk)  # a new request: nothing memoised
    choices = filter_choices(user=user)
    return {label for _, label in choices["agencies"]}, {label for _, label in choices["companies"]}


def test_choices_are_the_roles_scope(demo):
    assert _choices(demo["admin"]) == ({"NSA", "CISA", "DOD", "CAISI"}, {"Northwind AI", "Contoso Labs"})
    assert _choices(demo["reviewer_cisa"])[1] == {"Northwind AI", "Contoso Labs"}
    assert _choices(demo["reviewer_nsa"]) == ({"NSA", "CISA"}, {"Northwind AI"})
    assert _choices(demo["liaison_contoso"])[1] == {"Contoso Labs"}


def test_choices_follow_a_changed_participation_and_a_revocation(demo, django_capture_on_commit_callbacks):
    liaison = demo["liaison_northwind"]
    before = _choices(liaison)
    assert "DOD" not in before[0] and _choices(liaison) == before  # the second read is the cached one
    with django_capture_on_commit_callbacks(execute=True):
        draft = review_create(actor=liaison, model=demo["atlas"].model, agencies=[demo["nsa"]], summary="Draft")
    assert _choices(liaison)[0] == before[0]
    with django_capture_on_commit_callbacks(execute=True):
        review_update(review_id=draft.pk, actor=liaison, model=draft.model, agencies=[Agency.objects.get(acronym="DOD")])
    assert _choices(liaison)[0] == before[0] | {"DOD"}


def test_choices_kept_are_read_with_the_generation_in_one_cache_round_trip(demo, monkeypatch):
    """On every search page: the kept options and the participations
    generation they must match come back in one Redis command."""
    from django.core.cache import cache

    reviewer = demo["reviewer_nsa"]
    first = _choices(reviewer)
    client = cache._cache.get_client()
    commands = []
    send = client.execute_command

    def counting(*args, **options):
        commands.append(args[0])
        return send(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    assert _choices(reviewer) == first == ({"NSA", "CISA"}, {"Northwind AI"})
    assert commands == ["MGET"]


def test_choices_leave_a_revoked_review_at_once(demo):
    from reviews.models import Review
    from reviews.services import access_revoke

    reviewer = demo["reviewer_cisa"]
    assert "Contoso Labs" in _choices(reviewer)[1]
    for review in Review.objects.visible_to(reviewer).filter(company__name="Contoso Labs"):
        access_revoke(review=review, actor=demo["admin"], reason="Test", user=reviewer)
    assert _choices(reviewer)[1] == {"Northwind AI"}


def test_choices_without_the_cache(demo, settings):
    settings.CACHES = {"default": {"BACKEND": "portal.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": {"socket_connect_timeout": 0.2}}}
    assert _choices(demo["reviewer_nsa"]) == ({"NSA", "CISA"}, {"Northwind AI"})



def _options(html: str, select_id: str | None = None) -> list[tuple[str, str, bool]]:
    """(value, text, selected) of the options (of one select) in ``html``."""
    import re
    from html import unescape

    if select_id:
        html = re.search(rf'<select id="{select_id}".*?</select>', html, re.S).group(0)
    return [(unescape(value), unescape(text), bool(selected))
            for value, selected, text in re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)]


def test_filter_options_keep_the_chosen_one_and_escape_labels(demo, client):
    from journeys.browser import force_login_mfa
    from search.templatetags.search_ui import select_options

    html = str(select_options([(3, "A&B <Labs>"), (12, "Contoso")], "12", "Any company"))
    assert _options(html) == [("", "Any company", False), ("3", "A&B <Labs>", False), ("12", "Contoso", True)]
    assert "<Labs>" not in html
    # Kept per list: another choice, none, or a renamed label each come out as drawn afresh.
    assert _options(str(select_options([(3, "A&B <Labs>"), (12, "Contoso")], 3, "Any company")))[1:] == [
        ("3", "A&B <Labs>", True), ("12", "Contoso", False)]
    assert not any(chosen for *_, chosen in _options(str(select_options([(3, "A&B <Labs>"), (12, "Contoso")], None, "Any company"))))
    assert _options(str(select_options([(3, "A&B Labs"), (12, "Contoso")], "12", "Any company")))[1:] == [
        ("3", "A&B Labs", False), ("12", "Contoso", True)]

    force_login_mfa(client, demo["reviewer_nsa"])
    northwind = demo["atlas"].company
    page = client.get("/search/", {"q": "atlas", "company": northwind.pk}).content.decode()
    assert _options(page, "search-company") == [("", "Any company", False), (str(northwind.pk), northwind.name, True)]
    assert [text for _, text, _ in _options(page, "search-agency")] == ["Any agency", "CISA", "NSA"]


def test_office_choices_are_one_kept_entry_that_follows_a_new_company_and_agency(demo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agencies.tests.factories import AgencyFactory
    from companies.tests.factories import CompanyFactory

    admin = demo["admin"]
    before = _choices(admin)
    assert before == ({"NSA", "CISA", "DOD", "CAISI"}, {"Northwind AI", "Contoso Labs"})
    with CaptureQueriesContext(connection) as ctx:
        assert _choices(admin) == before
    assert not any('"companies_company"."name"' in q["sql"] for q in ctx.captured_queries)  # read from the cache
    CompanyFactory(name="Fabrikam Research")
    AgencyFactory(acronym="DOE")
    assert _choices(admin) == (before[0] | {"DOE"}, before[1] | {"Fabrikam Research"})
    # An inactive program admin sees nothing, kept entry or not.
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    assert filter_choices(user=type(admin).objects.select_related("membership").get(pk=admin.pk)) == {
        "agencies": [], "companies": [], "reviews": [], "markings": filter_choices(user=demo["lead_nsa"])["markings"],
    }


@pytest.mark.usefixtures("empty_statement_cache")
def test_markings_are_every_marking_in_order_and_follow_a_new_one_at_once(demo):
    """The markings are read on every search page (their statement kept, their
    rows not): one added or renamed shows on the next page."""
    from documents.models import HandlingMarking

    def markings():
        return [label for _, label in filter_choices(user=demo["reviewer_nsa"])["markings"]]

    expected = list(HandlingMarking.objects.order_by("ordering", "name").values_list("name", flat=True))
    assert markings() == expected and expected
    first = HandlingMarking.objects.order_by("ordering", "name").first()
    added = HandlingMarking.objects.create(name="Aaa first", ordering=first.ordering)
    assert markings() == ["Aaa first", *expected]
    HandlingMarking.objects.filter(pk=added.pk).update(name="Zzz renamed", ordering=10_000)
    assert markings() == [*expected, "Zzz renamed"]
    assert filter_choices(user=demo["admin"])["markings"][-1] == (added.pk, "Zzz renamed")


def _reviews(user) -> list[str]:
    user = type(user).objects.select_related("membership").get(pk=user.pk)
    return [label for _, label in filter_choices(user=user)["reviews"]]


def test_a_reader_on_few_reviews_picks_one_by_name_and_a_new_one_is_listed_at_once(demo, login, django_capture_on_commit_callbacks):
    named = lambda *names: [f"{demo[n].model} review #{demo[n].pk}" for n in sorted(names, key=lambda n: -demo[n].pk)]  # noqa: E731
    assert _reviews(demo["reviewer_nsa"]) == named("atlas", "atlas_mini")
    assert _reviews(demo["liaison_contoso"]) == named("helix")
    liaison = demo["liaison_northwind"]
    assert _reviews(liaison) == named("atlas", "atlas_mini")
    with django_capture_on_commit_callbacks(execute=True):
        draft = review_create(actor=liaison, model=demo["atlas"].model, agencies=[demo["nsa"]], summary="Draft")
    assert _reviews(liaison)[0] == f"{draft.model} review #{draft.pk}"  # another set of reviews: another entry
    page = login(demo["reviewer_nsa"]).get("/search/", {"q": "atlas", "review": demo["atlas"].pk}).content.decode()
    assert '<label for="search-review">Review</label>' in page
    assert f'<option value="{demo["atlas"].pk}" selected>{demo["atlas"].model} review #{demo["atlas"].pk}</option>' in page
    assert str(demo["helix"].model) not in page  # never a review outside the reader's scope


def test_the_office_and_readers_on_many_reviews_type_a_number(demo, login, monkeypatch):
    from search.selectors import choices

    assert _reviews(demo["admin"]) == []  # its entry is kept under agencies and companies alone
    monkeypatch.setattr(choices, "REVIEW_CHOICES", 1)
    assert _reviews(demo["reviewer_cisa"]) == []
    page = login(demo["reviewer_cisa"]).get("/search/", {"q": "atlas"}).content.decode()
    assert '<label for="search-review">Review number</label>' in page and '<input type="number" id="search-review"' in page


def test_a_chosen_number_outside_the_lists_stays_chosen_and_names_nothing(demo, client):
    """An address filtered on a review, agency or company the reader does not
    see (another's, or one revoked since it was bookmarked) finds nothing, and
    the lists say so by the number alone: not "Any …", which would drop the
    filter with the next words, and never the name behind the number."""
    from journeys.browser import force_login_mfa
    from reviews.models import Review

    reviewer = demo["reviewer_nsa"]
    hidden = Review.objects.select_related("model", "company").filter(company__name="Contoso Labs").order_by("pk").first()
    dod = Agency.objects.get(acronym="DOD")
    assert not Review.objects.visible_to(reviewer).filter(pk=hidden.pk).exists()
    force_login_mfa(client, reviewer)
    page = client.get("/search/", {"q": hidden.model.name, "review": hidden.pk, "agency": dod.pk,
                                   "company": hidden.company_id}).content.decode()
    reviews = _options(page, "search-review")
    assert reviews[:2] == [("", "Any review", False), (str(hidden.pk), f"Review #{hidden.pk}", True)]
    assert [chosen for *_, chosen in reviews].count(True) == 1
    assert _options(page, "search-agency")[:2] == [("", "Any agency", False), (str(dod.pk), f"Agency #{dod.pk}", True)]
    assert _options(page, "search-company") == [("", "Any company", False), (str(hidden.company_id), f"Company #{hidden.company_id}", True),
                                                (str(demo["atlas"].company_id), "Northwind AI", False)]
    assert "Contoso" not in page and "DOD" not in page
    # A number that is not one is refused by the form, not offered as a choice.
    page = client.get("/search/", {"q": "atlas", "company": "12x"}).content.decode()
    assert _options(page, "search-company") == [("", "Any company", False), (str(demo["atlas"].company_id), "Northwind AI", False)]
    assert "Enter a whole number." in page
