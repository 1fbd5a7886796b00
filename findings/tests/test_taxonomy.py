"""The shipped AI-risk catalogues: loaded from the files in findings/taxonomy/,
ids validated against them, a newer ATLAS release loaded by command."""

from __future__ import annotations

import json
from io import StringIO

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from findings import services
from findings.models import SEVERITY_RUBRIC, Finding, FindingCategory, TaxonomyEntry
from findings.taxonomy import HERE, SHIPPED_ATLAS

pytestmark = pytest.mark.django_db


def _codes(catalogue, active=True):
    return set(TaxonomyEntry.objects.filter(catalogue=catalogue, active=active).values_list("code", flat=True))


def test_shipped_catalogues_are_loaded_from_the_files():
    assert _codes("owasp_llm") == {f"LLM{n:02d}" for n in range(1, 11)}
    assert _codes("nist_ai_600_1") == {f"GAI-{n}" for n in range(1, 13)}
    data = yaml.safe_load(SHIPPED_ATLAS.read_text())
    assert data["version"] == "5.6.0"
    techniques = {t["id"] for m in data["matrices"] for t in m["techniques"]}
    assert _codes("mitre_atlas") == techniques and len(techniques) == 170
    assert TaxonomyEntry.objects.get(code="AML.T0054").name == "LLM Jailbreak"
    assert TaxonomyEntry.objects.get(code="LLM01").version == "2025"
    assert set(TaxonomyEntry.objects.filter(catalogue="mitre_atlas").values_list("version", flat=True)) == {"5.6.0"}
    # The licence and the version travel with the copy.
    assert "Apache License, Version 2.0" in (HERE / "atlas" / "LICENSE").read_text()
    assert "release 5.6.0" in (HERE / "atlas" / "README.md").read_text()


def _create(demo, taxonomy):
    return services.finding_create(
        review_id=demo["atlas"].pk, actor=demo["reviewer_nsa"], title="T", category=FindingCategory.objects.first(),
        severity="low", description="D", taxonomy=taxonomy,
    )


@pytest.mark.parametrize("bad", [["LLM11"], ["AML.T9999"], ["GAI-13"], ["LLM01", "owasp-1"]])
def test_unknown_taxonomy_id_is_refused_naming_it_and_nothing_is_written(demo, bad):
    before = Finding.objects.count()
    with pytest.raises(ValidationError) as exc:
        _create(demo, bad)
    (message,) = exc.value.message_dict["taxonomy"]
    assert message.startswith(f"Unknown taxonomy id: {bad[-1]}.")
    assert Finding.objects.count() == before


def test_known_ids_are_accepted_in_any_case_once(demo):
    finding = _create(demo, ["llm01", "AML.T0051.000", "gai-9", "LLM01"])
    assert sorted(finding.taxonomy.values_list("code", flat=True)) == ["AML.T0051.000", "GAI-9", "LLM01"]


def test_form_refuses_unknown_id_next_to_the_field_and_shows_the_rubric(demo, login):
    client = login(demo["reviewer_nsa"], accept_terms_for=[demo["atlas"]])
    url = reverse("review_findings", kwargs={"pk": demo["atlas"].pk})
    page = client.get(url).content.decode()
    assert SEVERITY_RUBRIC["critical"][:40] in page and "LLM Jailbreak" in page
    before = Finding.objects.count()
    response = client.post(url, {
        "title": "T", "category": FindingCategory.objects.first().pk, "severity": "low", "description": "D", "taxonomy": "LLM01, LLM42",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["taxonomy"][0].startswith("Unknown taxonomy id: LLM42.")
    assert Finding.objects.count() == before


def _atlas_file(tmp_path, version, techniques):
    path = tmp_path / "ATLAS.yaml"
    path.write_text(yaml.safe_dump({
        "id": "ATLAS", "version": version,
        "matrices": [{"id": "ATLAS", "techniques": [{"id": code, "name": name} for code, name in techniques]}],
    }))
    return path


def test_load_command_loads_a_newer_atlas_release_and_retires_dropped_ids(demo, tmp_path):
    tagged = _create(demo, ["AML.T0000"])
    path = _atlas_file(tmp_path, "5.7.0", [("AML.T0054", "LLM Jailbreak (renamed)"), ("AML.T0999", "A new technique")])
    out = StringIO()
    call_command("load_taxonomy", atlas=str(path), stdout=out)
    assert "mitre_atlas 5.7.0: 2 ids (1 added, 1 updated, 169 retired)" in out.getvalue()
    assert _codes("mitre_atlas") == {"AML.T0054", "AML.T0999"}
    assert TaxonomyEntry.objects.get(code="AML.T0054").name == "LLM Jailbreak (renamed)"
    # A finding keeps a retired id; a new finding may not use it.
    assert list(tagged.taxonomy.values_list("code", "active")) == [("AML.T0000", False)]
    with pytest.raises(ValidationError, match="No longer in the current catalogue release: AML.T0000"):
        _create(demo, ["AML.T0000"])
    # Loading the shipped release again restores it.
    call_command("load_taxonomy", stdout=StringIO())
    assert len(_codes("mitre_atlas")) == 170 and "AML.T0999" in _codes("mitre_atlas", active=False)


@pytest.mark.parametrize("content", ["not: [yaml", "version: 5.7.0\n", json.dumps({"version": "1", "matrices": [{"techniques": []}]})])
def test_load_command_refuses_a_file_that_is_not_atlas_and_changes_nothing(demo, tmp_path, content):
    path = tmp_path / "ATLAS.yaml"
    path.write_text(content)
    before = sorted(TaxonomyEntry.objects.values_list("code", "name", "active"))
    with pytest.raises(CommandError, match=str(path)):
        call_command("load_taxonomy", atlas=str(path), stdout=StringIO())
    assert sorted(TaxonomyEntry.objects.values_list("code", "name", "active")) == before
