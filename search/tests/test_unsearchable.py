"""A search that holds no word the full text searches — only words as
common as "the" (left out by PostgreSQL's English configuration), or quotes,
stars and punctuation alone — says so, instead of "Nothing you may see
matches", which would send the reader looking for material that may exist."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

UNSEARCHABLE = "Nothing to search for in"
NOTHING = "Nothing you may see matches"


@pytest.mark.parametrize("typed", ["the", "of the and", "the*", '"the a"', '"', "* -"])
def test_a_search_of_no_searchable_word_says_so(demo, material, login, typed):
    page = login(demo["reviewer_nsa"]).get(reverse("search"), {"q": typed}).content.decode()
    assert UNSEARCHABLE in page and "Add a more specific word." in page
    assert NOTHING not in page


@pytest.mark.parametrize("typed", ["zzqxv", "the zzqxv", "zzq*"])
def test_a_searchable_word_that_matches_nothing_still_says_nothing_matches(demo, material, login, typed):
    page = login(demo["reviewer_nsa"]).get(reverse("search"), {"q": typed}).content.decode()
    assert NOTHING in page
    assert UNSEARCHABLE not in page


def test_a_common_word_beside_one_that_matches_finds_what_the_other_finds(demo, material, login):
    """The common word is left out; the other still finds its document."""
    link = reverse("document_detail", kwargs={"pk": material["zircon"].document_id})
    page = login(demo["admin"]).get(reverse("search"), {"q": "the zircon"}).content.decode()
    assert link in page
    assert UNSEARCHABLE not in page and NOTHING not in page
