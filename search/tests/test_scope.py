"""Search is scoped by construction: for every demo role, no result, count or
snippet from an out-of-scope review, another agency's private question,
another agency's unshared finding, or an unscanned or quarantined version."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import DEMO_ROLES
from search.selectors import search

pytestmark = pytest.mark.django_db

# word -> (kind, roles that find it)
EXPECTED = {
    "zircon": ("document", {"admin", "lead_cisa", "reviewer_cisa", "liaison_contoso"}),
    "quagmire": ("document", set()),
    "tamarind": ("document", set()),
    "obsidian": ("document", {"admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"}),
    "marmalade": ("rfi", {"admin", "lead_cisa", "reviewer_cisa", "liaison_northwind"}),
    "lanthanum": ("finding", {"admin", "lead_nsa", "reviewer_nsa"}),
    "basalt": ("finding", {"admin", "lead_nsa", "reviewer_nsa"}),  # in its evidence
    "feldspar": ("finding", {"admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"}),  # in the company's response
    "gneiss": ("finding", {"admin", "lead_nsa", "reviewer_nsa"}),  # in a comment internal to NSA (CISA sees the finding)
    "schist": ("finding", {"admin", "lead_nsa", "reviewer_nsa", "lead_cisa", "reviewer_cisa"}),  # in its shared comment
    "pyrite": ("finding", {"admin", "lead_nsa", "reviewer_nsa"}),  # in an evidence file of NSA's internal finding
    "realgar": ("finding", set()),  # in an evidence file not scanned yet (the finding is Northwind's to see too)
}


def _finds_only_what_the_role_may_see(user, role, query=lambda word: word):
    """Each EXPECTED word's piece, searched as ``query(word)``: found (one
    result, its word marked) by its finders and by nobody else — no section,
    count or snippet."""
    for word, (kind, finders) in EXPECTED.items():
        results = search(user=user, text=query(word))
        found = {s.kind: s for s in results.sections if s.count or s.hits}
        if role in finders:
            assert set(found) == {kind}, (role, word, found)
            section = found[kind]
            assert section.count == 1 and len(section.hits) == 1, (role, word)
            assert f"<mark>{word}" in section.hits[0].snippet.lower(), (role, word, section.hits[0].snippet)
        else:
            assert found == {}, (role, word, found)
            assert all(word not in h.snippet for s in results.sections for h in s.hits)


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_search_finds_only_what_the_role_may_see(demo, material, role, walk):
    _finds_only_what_the_role_may_see(demo[role], role)


# word -> a phrase of it in its material (search/tests/conftest.py)
PHRASES = {
    "zircon": '"zircon result"', "quagmire": '"quagmire result"', "tamarind": '"tamarind result"', "obsidian": '"obsidian result"',
    "marmalade": '"marmalade update"', "lanthanum": '"lanthanum prompt"', "basalt": '"basalt tool"', "feldspar": '"feldspar filter"',
    "gneiss": '"gneiss harness"', "schist": '"schist prompts"', "pyrite": '"pyrite sample"', "realgar": '"realgar sample"',
}


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_a_phrase_finds_only_what_the_role_may_see(demo, material, role, walk):
    """A phrase's candidates, read among the user's reviews as an array of
    ids (common._in_reach) or walked from every match, are confirmed by the
    scoped query: what the role may see, and nothing else."""
    _finds_only_what_the_role_may_see(demo[role], role, PHRASES.get)


@pytest.mark.parametrize("narrowed", ["review", "company", "dates"])
@pytest.mark.parametrize("role", DEMO_ROLES)
def test_a_filtered_search_finds_only_what_the_role_may_see(demo, material, role, narrowed):
    """A filter that keeps the material's review (its review, its company, the
    days around it) reads each kind's scoped query, never a walk
    (common._branch): the same finders as without it, and nobody else."""
    import datetime as dt

    from django.utils import timezone

    from search.selectors import Filters

    user = demo[role]
    today = timezone.localdate()
    for word, (kind, finders) in EXPECTED.items():
        row = material[word]
        review_id = row.document.review_id if kind == "document" else row.review_id
        company_id = row.document.review.company_id if kind == "document" else row.review.company_id
        filters = {"review": Filters(review_id=review_id), "company": Filters(company_id=company_id),
                   "dates": Filters(date_from=today - dt.timedelta(days=1), date_to=today + dt.timedelta(days=1))}[narrowed]
        results = search(user=user, text=word, filters=filters)
        found = {s.kind: (s.count, len(s.hits)) for s in results.sections if s.count or s.hits}
        assert found == ({kind: (1, 1)} if role in finders else {}), (role, word, narrowed)
        assert role in finders or all(word not in h.snippet for s in results.sections for h in s.hits)


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_search_page_shows_no_link_out_of_scope(demo, login, material, role):
    client = login(demo[role])
    links = {
        "zircon": reverse("document_detail", kwargs={"pk": material["zircon"].document_id}),
        "marmalade": reverse("rfi_detail", kwargs={"pk": material["marmalade"].pk}),
        "lanthanum": reverse("finding_detail", kwargs={"pk": material["lanthanum"].pk}),
        # Found by its internal comment: linked at that comment, for NSA only.
        "gneiss": reverse("finding_detail", kwargs={"pk": material["gneiss"].pk}) + f"#comment-{material['gneiss'].comments.get(internal=True).pk}",
    }
    for word, link in links.items():
        response = client.get(reverse("search"), {"q": word})
        assert response.status_code == 200
        assert (link in response.content.decode()) == (role in EXPECTED[word][1]), (role, word)


def _found(user, word):
    return {s.kind for s in search(user=user, text=word).sections if s.count or s.hits}


def test_search_leaves_out_material_behind_new_terms_and_certified_documents(demo, material, walk):
    from django.db.models import F

    from reviews.models import ReturnCertificate, Review

    nsa_rfi_word = "logs"  # the demo's NSA question on Atlas-2 ("Tool-use logs for the CTF evaluation")
    assert _found(demo["reviewer_nsa"], "obsidian") == {"document"}
    assert "rfi" in _found(demo["reviewer_nsa"], nsa_rfi_word)
    # NSA certifies Atlas-2's material returned: its documents (titles and text) leave NSA's search.
    ReturnCertificate.objects.create(review=demo["atlas"], agency=demo["nsa"], certified_by=demo["lead_nsa"], statement="Destroyed.")
    assert _found(demo["lead_nsa"], "obsidian") == set()
    assert _found(demo["admin"], "obsidian") == {"document"}
    # New access terms: the material waits for the reviewer's acceptance.
    Review.objects.filter(pk=demo["atlas"].pk).update(access_terms_version=F("access_terms_version") + 1)
    assert "rfi" not in _found(demo["reviewer_nsa"], nsa_rfi_word)
    assert _found(demo["liaison_northwind"], "obsidian") == {"document"}


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_an_exact_title_is_found_first_in_scope_and_nowhere_out_of_it(demo, material, role, walk):
    """The exact-match reads (search.selectors.common.exact_branch) go through
    the same scope: a title, subject or model name typed exactly finds its row
    first for those who may see it, and nothing of it for anyone else."""
    from search.selectors import Filters

    zircon, marmalade, lanthanum, helix = material["zircon"], material["marmalade"], material["lanthanum"], demo["helix"]
    cases = {
        "document": (zircon.document.title, EXPECTED["zircon"][1], reverse("document_detail", kwargs={"pk": zircon.document_id})),
        "rfi": (marmalade.subject, EXPECTED["marmalade"][1], reverse("rfi_detail", kwargs={"pk": marmalade.pk})),
        "finding": (lanthanum.title, EXPECTED["lanthanum"][1], reverse("finding_detail", kwargs={"pk": lanthanum.pk})),
        "review": (helix.model.name, EXPECTED["zircon"][1], helix.get_absolute_url()),  # Helix-1: Contoso's, CISA's
    }
    for kind, (text, finders, url) in cases.items():
        urls = [h.url for s in search(user=demo[role], text=text, filters=Filters(kinds=(kind,))).sections for h in s.hits]
        if role in finders:
            assert urls[:1] == [url], (role, kind, text, urls)
        else:
            assert url not in urls, (role, kind, text)


@pytest.mark.parametrize("most", [5000, 0])
@pytest.mark.parametrize("role", DEMO_ROLES)
def test_reviews_found_by_their_models_text_are_the_roles_own(demo, role, most, monkeypatch):
    """A word in a model's capability summary finds that model's reviews the
    role sees and no other, whether the matching models are few (read first,
    then their reviews in scope) or more than MODEL_MATCHES (the scoped query
    with the match); a word no model holds finds none."""
    from companies.models import AIModel
    from reviews.models import Review
    from search.selectors import Filters
    from search.selectors import reviews as review_search

    monkeypatch.setattr(review_search, "MODEL_MATCHES", most)
    AIModel.objects.filter(pk=demo["atlas"].model_id).update(capability_summary="Tool use with a peridot sandbox.")
    user = demo[role]
    expected = set(Review.objects.visible_to(user).filter(model_id=demo["atlas"].model_id).values_list("pk", flat=True))
    assert expected == ({demo["atlas"].pk} if role in {"admin", "lead_nsa", "reviewer_nsa", "liaison_northwind"} else set())
    [section] = search(user=user, text="peridot", filters=Filters(kinds=("review",)), limit=50).sections
    assert {h.review.pk for h in section.hits} == expected and section.count == len(expected)
    assert all("<mark>peridot</mark>" in h.snippet for h in section.hits)
    [none] = search(user=user, text="zzyzxq", filters=Filters(kinds=("review",)), limit=50).sections
    assert (none.count, none.hits) == (0, [])


@pytest.mark.parametrize("most", [5000, 0])
def test_reviews_found_by_their_models_text_are_those_models_reviews_not_reviews_numbered_alike(demo, most, monkeypatch):
    """A model's reviews are found by the model's id, not by a review that
    happens to carry the same number (the demo's first model and review are
    both #1): the model's second review, and no other, is found too."""
    from companies.models import AIModel
    from reviews.models import Review
    from reviews.tests.factories import make_review
    from search.selectors import Filters
    from search.selectors import reviews as review_search

    monkeypatch.setattr(review_search, "MODEL_MATCHES", most)
    model = AIModel.objects.get(pk=demo["helix"].model_id)
    model.capability_summary = "Tool use with a peridot sandbox."
    model.save(update_fields=["capability_summary"])
    second = make_review(model=model, admin=demo["admin"])
    expected = set(Review.objects.filter(model=model).values_list("pk", flat=True))
    assert expected == {demo["helix"].pk, second.pk}
    [section] = search(user=demo["admin"], text="peridot", filters=Filters(kinds=("review",)), limit=50).sections
    assert {h.review.pk for h in section.hits} == expected and section.count == len(expected)
