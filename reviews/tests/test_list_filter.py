"""The review list's name filter (``?q=``): a review whose model's or
company's name holds the text, case aside, among the reviews the reader
sees — whether the matching names are looked up first (a few) or asked of
every visible review (past ``NAMED_MAX``)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews import selectors

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("most", [selectors.NAMED_MAX, 0])
def test_review_list_name_filter_finds_model_and_company_names_in_scope(demo, login, monkeypatch, most):
    monkeypatch.setattr(selectors, "NAMED_MAX", most)
    client = login(demo["reviewer_cisa"])

    def listed(q):
        page = client.get(reverse("review_list"), {"q": q}).context["page"]
        return sorted(review.model.name for review in page.object_list), page.paginator.count

    assert listed("atlas") == (["Atlas-2 Mini"], 1)  # a model's name, case aside; NSA's Atlas-2 is out of CISA's scope
    assert listed("CONTOSO") == (["Helix-1"], 1)  # a company's name
    assert listed("a") == (["Atlas-2 Mini", "Helix-1"], 2)
    assert listed("no such name") == ([], 0)
