"""A liaison registers and edits their own company's models on the pages (the API has the same service)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from companies.models import AIModel

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Atlas-3", "version": "3.0-preview", "modality": "multimodal",
    "capability_summary": "Reads screenshots; plans multi-step tool use.", "planned_release_date": "2027-03-31",
}


def test_liaison_registers_a_model_for_their_own_company(demo, login):
    client = login(demo["liaison_northwind"])
    assert client.get(reverse("model_create")).status_code == 200
    response = client.post(reverse("model_create"), GOOD)
    model = AIModel.objects.get(name="Atlas-3")
    assert response.status_code == 302 and response["Location"] == reverse("model_detail", kwargs={"pk": model.pk})
    assert (model.company_id, model.version, model.modality, model.capability_summary, model.planned_release_date, model.created_by) == (
        demo["liaison_northwind"].company_id, "3.0-preview", "multimodal", GOOD["capability_summary"], date(2027, 3, 31),
        demo["liaison_northwind"],
    )
    event = AuditEvent.objects.filter(action="model.create", target_id=str(model.pk)).get()
    assert event.payload == {"company": "Northwind AI", "name": "Atlas-3", "version": "3.0-preview", "modality": "multimodal"}
    # The dashboard's model list and the new model's page link to it; another company's liaison sees neither.
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert reverse("model_create") in dashboard and reverse("model_detail", kwargs={"pk": model.pk}) in dashboard
    assert reverse("model_edit", kwargs={"pk": model.pk}) in client.get(reverse("model_detail", kwargs={"pk": model.pk})).content.decode()
    assert model not in AIModel.objects.visible_to(demo["liaison_contoso"])


def test_registering_from_review_creation_comes_back_to_it(demo, login):
    client = login(demo["liaison_contoso"])
    response = client.post(reverse("model_create"), {**GOOD, "name": "Helix-2", "next": reverse("review_create")})
    assert response.status_code == 302 and response["Location"] == reverse("review_create")
    page = client.get(reverse("review_create"))
    assert AIModel.objects.get(name="Helix-2") in page.context["form"].fields["model"].queryset


def test_bad_model_input_is_named_per_field_and_nothing_is_stored(demo, login):
    before = AIModel.objects.count()
    client = login(demo["liaison_northwind"])
    response = client.post(
        reverse("model_create"),
        {"name": "", "version": "1\n2", "modality": "telepathy", "capability_summary": "", "planned_release_date": "soon"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"name", "version", "modality", "planned_release_date"}
    assert "Enter the planned release date as a date" in errors["planned_release_date"][0]
    assert "one line" in errors["version"][0]
    assert AIModel.objects.count() == before


def test_a_name_and_version_already_registered_is_refused_on_the_name(demo, login):
    before = AIModel.objects.count()
    client = login(demo["liaison_northwind"])
    response = client.post(reverse("model_create"), {**GOOD, "name": "atlas-2", "version": "2.0"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["Northwind AI already registered atlas-2 2.0; change the name or the version."]
    assert AIModel.objects.count() == before
    # Another company may use the same name.
    assert login(demo["liaison_contoso"]).post(reverse("model_create"), {**GOOD, "name": "Atlas-2", "version": "2.0"}).status_code == 302


def test_liaison_edits_their_model_and_the_change_is_recorded(demo, login):
    model = AIModel.objects.get(name="Atlas-2")
    before = AIModel.objects.filter(pk=model.pk).values("name", "modality", "capability_summary").get()
    client = login(demo["liaison_northwind"])
    form = client.get(reverse("model_edit", kwargs={"pk": model.pk})).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    response = client.post(reverse("model_edit", kwargs={"pk": model.pk}), {**data, "version": "2.1", "planned_release_date": "2027-01-15"})
    assert response.status_code == 302
    after = AIModel.objects.get(pk=model.pk)
    assert (after.version, after.planned_release_date) == ("2.1", date(2027, 1, 15))
    assert AIModel.objects.filter(pk=model.pk).values("name", "modality", "capability_summary").get() == before
    event = AuditEvent.objects.filter(action="model.edit", target_id=str(model.pk)).get()
    assert event.payload["changes"] == {
        "version": ["2.0", "2.1"], "planned_release_date": [model.planned_release_date.isoformat(), "2027-01-15"],
    }


@pytest.mark.parametrize("role", ["liaison_contoso", "lead_nsa", "reviewer_nsa", "admin"])
def test_only_the_models_company_edits_it(demo, login, role):
    model = AIModel.objects.get(name="Atlas-2")
    client = login(demo[role])
    assert client.get(reverse("model_edit", kwargs={"pk": model.pk})).status_code == 404
    assert client.post(reverse("model_edit", kwargs={"pk": model.pk}), {**GOOD}).status_code == 404
    assert AIModel.objects.get(pk=model.pk).name == "Atlas-2"
    if not role.startswith("liaison"):
        assert client.get(reverse("model_create")).status_code == 404
