"""``/api/v1/saved-searches/``: a reader's saved searches for scripts, as on
the web's list — kept with the words and filters the search takes, the same
search again is the one kept, bad input names its field and keeps nothing.
Who may read or change which: api/tests/test_authorization_matrix.py."""

from __future__ import annotations

import pytest

from search import services
from search.models import SavedSearch

pytestmark = pytest.mark.django_db

URL = "/api/v1/saved-searches/"


def test_a_search_is_kept_listed_and_run_from_its_address(demo, api):
    client = api(demo["reviewer_nsa"])
    response = client.post(URL, {"q": "zephyr", "type": "rfi", "date_from": "2026-01-01", "review": demo["atlas"].pk}, format="json")
    assert response.status_code == 201, response.content
    saved = SavedSearch.objects.get()
    assert (saved.owner, saved.text, saved.params, saved.alert) == (demo["reviewer_nsa"], "zephyr", f"type=rfi&review={demo['atlas'].pk}&date_from=2026-01-01", True)
    address = f"q=zephyr&type=rfi&review={demo['atlas'].pk}&date_from=2026-01-01"
    assert response.json() == {
        "id": saved.pk, "q": "zephyr", "filters": {"type": "rfi", "review": str(demo["atlas"].pk), "date_from": "2026-01-01"}, "alert": True,
        "created_at": response.json()["created_at"], "alerted_at": None,
        "search": f"http://testserver/api/v1/search/?{address}", "url": f"http://testserver/search/?{address}",
    }
    # The same words and filters again: the one kept (200), nothing new.
    again = client.post(URL, {"q": "zephyr", "type": "rfi", "date_from": "2026-01-01", "review": demo["atlas"].pk, "alert": False}, format="json")
    assert (again.status_code, again.json()["id"], SavedSearch.objects.count()) == (200, saved.pk, 1)
    # Listed, and its address runs the search.
    assert [row["id"] for row in client.get(URL).json()["results"]] == [saved.pk]
    run = client.get(response.json()["search"])
    assert run.status_code == 200 and run.json()["query"] == "zephyr"


def test_alerts_default_on_and_are_kept_off_when_asked(demo, api):
    client = api(demo["reviewer_nsa"])
    assert client.post(URL, {"q": "zephyr"}, format="json").json()["alert"] is True
    assert client.post(URL, {"q": "atlas", "alert": False}, format="json").json()["alert"] is False
    assert dict(SavedSearch.objects.values_list("text", "alert")) == {"zephyr": True, "atlas": False}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"type": "rfi"}, "q", "This field is required."),
        ({"q": "zephyr\nlogs"}, "q", "Q must be on one line: remove the line break."),
        ({"q": "zephyr", "date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_to", "The end date is before the start date."),
        ({"q": "zephyr", "type": "memo"}, "type", '"memo" is not a valid choice.'),
        ({"q": "zephyr", "review": [1, 2]}, "review", "A valid integer is required."),
        ({"q": "zephyr", "date_from": "1 January"}, "date_from", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
        ({"q": "zephyr", "page": 2}, "page", "Unknown field."),
        (["zephyr"], None, "Invalid data. Expected a dictionary, but got list."),
    ],
)
def test_bad_input_names_the_field_and_keeps_nothing(demo, api, body, field, message):
    response = api(demo["reviewer_nsa"]).post(URL, body, format="json")
    assert response.status_code == 400
    assert [(error["field"], error["message"]) for error in response.json()["errors"]] == [(field, message)]
    assert not SavedSearch.objects.exists()


def test_past_the_most_a_reader_keeps_the_next_is_refused(demo, api):
    for n in range(services.SAVED_PER_READER):
        services.saved_search_create(owner=demo["reviewer_nsa"], text=f"word{n}", params="", alert=False)
    response = api(demo["reviewer_nsa"]).post(URL, {"q": "zephyr"}, format="json")
    assert response.status_code == 400
    assert [error["message"] for error in response.json()["errors"]] == [
        f"You have {services.SAVED_PER_READER} saved searches, the most one may keep; remove one first."
    ]
    assert not SavedSearch.objects.filter(text="zephyr").exists()


def test_alerts_turned_on_again_start_from_what_matches_now(demo, api):
    """As on the page: what appeared while alerts were off is not told later."""
    from rfis import services as rfi_services

    client = api(demo["reviewer_nsa"])
    pk = client.post(URL, {"q": "zephyr", "alert": False}, format="json").json()["id"]
    rfi = rfi_services.rfi_create(review_id=demo["atlas_mini"].pk, actor=demo["lead_nsa"], subject="About zephyr", question="Signed?")
    response = client.patch(f"{URL}{pk}/", {"alert": True}, format="json")
    assert (response.status_code, response.json()["alert"]) == (200, True)
    assert SavedSearch.objects.get().reported == [f"rfi:{rfi.pk}"]
    bad = client.patch(f"{URL}{pk}/", {"alert": "maybe"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "alert"
    assert SavedSearch.objects.get().alert is True
