"""The program office reads saved searches in the Django admin and changes none of them."""

import pytest

from search import services
from search.models import SavedSearch

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(demo):
    first, _ = services.saved_search_create(owner=demo["reviewer_nsa"], text="quokka", params="type=finding", alert=True)
    second, _ = services.saved_search_create(owner=demo["reviewer_cisa"], text="wombat", params="", alert=False)
    return first, second


def test_saved_search_admin_lists_every_readers_searches_for_the_program_office(demo, login, saved):
    page = login(demo["admin"]).get("/admin/search/savedsearch/")
    assert page.status_code == 200
    rows = page.context["cl"].result_list
    assert {(row.owner.email, row.text, row.alert) for row in rows} == {
        ("reviewer.nsa@agency.example", "quokka", True), ("reviewer.cisa@agency.example", "wombat", False),
    }
    assert "By alert" in page.content.decode()  # the filter offered beside the list
    only_alerting = login(demo["admin"]).get("/admin/search/savedsearch/?alert__exact=1").context["cl"].result_list
    assert [row.text for row in only_alerting] == ["quokka"]


def test_saved_search_admin_changes_and_deletes_nothing(demo, login, saved):
    first, _ = saved
    client = login(demo["admin"])
    before = list(SavedSearch.objects.order_by("pk").values())
    page = client.get(f"/admin/search/savedsearch/{first.pk}/change/")
    assert page.status_code == 200 and "quokka" in page.content.decode()
    assert client.post(f"/admin/search/savedsearch/{first.pk}/change/", {"text": "changed", "alert": ""}).status_code == 403
    assert client.post(f"/admin/search/savedsearch/{first.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post("/admin/search/savedsearch/", {"action": "delete_selected", "_selected_action": [first.pk], "post": "yes"}).status_code in (200, 302)
    assert client.get("/admin/search/savedsearch/add/").status_code == 403
    assert list(SavedSearch.objects.order_by("pk").values()) == before


@pytest.mark.parametrize("role", ["lead_nsa", "reviewer_nsa", "liaison_northwind"])
def test_saved_search_admin_is_404_for_everyone_but_the_program_office(demo, login, saved, role):
    assert login(demo[role]).get("/admin/search/savedsearch/").status_code == 404
