"""The models page and the liaison dashboard's models: each person sees
exactly the models they may see, a page at a time, at a fixed number of
statements."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from companies.models import AIModel
from companies.tests.factories import AIModelFactory

pytestmark = pytest.mark.django_db


def _listed(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'<a class="cell-title" href="/models/(\d+)/">', html)}


@pytest.mark.parametrize("role", ["admin", "liaison_northwind", "liaison_contoso"])
def test_models_page_lists_exactly_the_models_the_person_sees(demo, login, role):
    user = demo[role]
    html = login(user).get(reverse("model_list"), {"per_page": 100}).content.decode()
    assert _listed(html) == set(AIModel.objects.visible_to(user).values_list("pk", flat=True))


def test_models_page_shows_a_liaison_only_their_companys_models_and_is_not_for_agencies(demo, login):
    atlas, mini, helix = demo["atlas"].model, demo["atlas_mini"].model, demo["helix"].model
    everything = _listed(login(demo["admin"]).get(reverse("model_list"), {"per_page": 100}).content.decode())
    assert {atlas.pk, mini.pk, helix.pk} <= everything
    assert everything == set(AIModel.objects.values_list("pk", flat=True))
    contoso = _listed(login(demo["liaison_contoso"]).get(reverse("model_list")).content.decode())
    assert contoso == set(AIModel.objects.filter(company=helix.company).values_list("pk", flat=True))
    assert helix.pk in contoso and atlas.pk not in contoso and mini.pk not in contoso
    for role in ("lead_nsa", "reviewer_cisa"):  # agency users reach models through their reviews
        assert login(demo[role]).get(reverse("model_list")).status_code == 404


def test_models_page_is_paged_at_a_fixed_number_of_statements(demo, login, django_assert_num_queries):
    liaison = demo["liaison_northwind"]
    client = login(liaison)
    client.get(reverse("model_list"))  # warm the session and the caches
    with django_assert_num_queries(6) as few:
        client.get(reverse("model_list"))
    AIModelFactory.create_batch(30, company=demo["northwind"])
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(reverse("model_list")).content.decode()
    total = AIModel.objects.filter(company=demo["northwind"]).count()
    assert len(_listed(html)) == 25
    assert f"of <strong>{total}</strong> models" in html


def test_liaison_dashboard_shows_the_first_models_by_name_and_links_to_all(demo, login):
    liaison = demo["liaison_northwind"]
    client = login(liaison)
    html = client.get(reverse("dashboard")).content.decode()
    own = set(AIModel.objects.filter(company=demo["northwind"]).values_list("pk", flat=True))
    assert _listed(html[html.index("<caption>Your models"):]) == own
    assert "All your models" not in html  # all of them are shown

    AIModelFactory.create_batch(12, company=demo["northwind"])
    html = client.get(reverse("dashboard")).content.decode()
    first = list(AIModel.objects.filter(company=demo["northwind"]).order_by("name", "version", "id").values_list("pk", flat=True)[:10])
    shown = html[html.index("<caption>Your models"):]
    assert re.findall(r'<a class="cell-title" href="/models/(\d+)/">', shown) == [str(pk) for pk in first]
    assert f'<a href="{reverse("model_list")}">All your models</a>' in shown
