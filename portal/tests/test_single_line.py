"""A line break in a one-line field (an RFI subject, a finding or document
title, a name, an organisation or model name, a reminder's subject) is
refused by the form, with a message naming the field (issue 14, item 7).

The fields are found, not listed: every form class of the portal's apps,
every form the Django admin builds for a registered model, and every writable
text field of the API's serializers. A multi-line field says so (a Textarea;
in the API ``style=MULTI_LINE``)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from rest_framework import serializers

from portal.forms import SingleLineField

BROKEN = "Quarterly review\r\nBcc: everyone@evil.example"
BREAKS = ["\r\n", "\n", "\r", "\u2028", "\x0b", "\x85"]
MULTI_LINE_WIDGETS = (forms.Textarea, forms.PasswordInput, forms.HiddenInput)
# Fields whose own format already refuses any line break (an address, a slug…).
FORMATTED = (forms.EmailField, forms.URLField, forms.SlugField, forms.RegexField, forms.GenericIPAddressField, forms.UUIDField, forms.JSONField)


def _project_apps():
    root = Path(settings.BASE_DIR)
    return [c for c in apps.get_app_configs() if Path(c.path).is_relative_to(root) and ".venv" not in Path(c.path).parts]


def _import_all(package: str):
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), package + "."):
        if ".tests" not in info.name and ".migrations" not in info.name and ".management" not in info.name:
            importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _one_line(field) -> bool:
    return isinstance(field, forms.CharField) and not isinstance(field.widget, MULTI_LINE_WIDGETS) and not getattr(field, "disabled", False)


def _problems(where: str, fields: dict) -> list[str]:
    problems = []
    for name, field in fields.items():
        if not _one_line(field):
            continue
        try:
            field.clean(BROKEN)
        except ValidationError as exc:
            if not isinstance(field, FORMATTED):
                label = str(field.label or name.replace("_", " ")).lower()
                if not any(label in message.lower() for message in exc.messages):
                    problems.append(f"{where}.{name}: refused, but the message does not name the field: {exc.messages}")
        else:
            problems.append(f"{where}.{name}: a line break was accepted")
    return problems


def test_every_portal_form_refuses_line_breaks_in_one_line_fields():
    for app in _project_apps():
        _import_all(app.name)
    names = {app.name for app in _project_apps()}
    found, problems = [], []
    for form_class in set(_subclasses(forms.BaseForm)):
        module = form_class.__module__
        if module.split(".")[0] not in names or ".admin" in module or ".tests" in module:
            continue  # admin forms are checked as the admin builds them, below
        found.append(form_class.__name__)
        problems += _problems(f"{module}.{form_class.__name__}", form_class.base_fields)
    assert {"RfiCreateForm", "FindingForm", "DocumentUploadForm", "InvitationForm", "InvitationAcceptForm", "TokenCreateForm"} <= set(found)
    assert problems == []


@pytest.mark.django_db
def test_every_admin_form_refuses_line_breaks_in_one_line_fields(demo):
    request = RequestFactory().get("/admin/")
    request.user = demo["admin"]
    problems, checked = [], 0
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.order_by("pk").first()
        for instance in (None, obj):
            if instance is None and not model_admin.has_add_permission(request):
                continue
            if instance is not None and not model_admin.has_change_permission(request, instance):
                continue
            form_class = model_admin.get_form(request, instance)
            checked += sum(1 for f in form_class.base_fields.values() if _one_line(f))
            problems += _problems(f"admin {model._meta.label}", form_class.base_fields)
            for formset, inline in model_admin.get_formsets_with_inlines(request, instance):
                problems += _problems(f"admin {model._meta.label} inline {inline.model._meta.label}", formset.form.base_fields)
    assert checked > 20
    assert problems == []


API_FORMATTED = (serializers.EmailField, serializers.RegexField, serializers.SlugField, serializers.URLField, serializers.UUIDField)


def _api_input_serializers():
    """The API's input serializers: StrictSerializer subclasses (its base for
    request bodies). Every ``XSerializer(data=…)`` in the API's code must be
    one, so a new input serializer cannot escape this test."""
    import re

    from api.serializers.base import StrictSerializer

    _import_all("api.serializers")
    strict = {cls.__name__: cls for cls in _subclasses(StrictSerializer)}
    used = set()
    for path in Path(settings.BASE_DIR, "api").rglob("*.py"):
        if "tests" not in path.parts:
            used |= set(re.findall(r"\b(\w+Serializer)\(\s*data=", path.read_text()))
    assert used and used <= set(strict), f"input serializers that are not StrictSerializers: {sorted(used - set(strict))}"
    return strict.values()


@pytest.mark.django_db
def test_every_api_text_field_refuses_line_breaks_unless_multi_line():
    problems, checked = [], []
    for serializer_class in _api_input_serializers():
        for name, field in serializer_class().fields.items():
            if field.read_only or not isinstance(field, serializers.CharField):
                continue
            if field.style.get("base_template") == "textarea.html":
                continue
            checked.append(f"{serializer_class.__name__}.{name}")
            try:
                field.run_validation(BROKEN)
            except serializers.ValidationError as exc:
                if not isinstance(field, API_FORMATTED) and not any(name.replace("_", " ") in str(m).lower() for m in exc.detail):
                    problems.append(f"{serializer_class.__name__}.{name}: message does not name the field: {exc.detail}")
            else:
                problems.append(f"{serializer_class.__name__}.{name}: a line break was accepted")
    assert {"RfiCreateSerializer.subject", "DocumentUploadSerializer.title", "AIModelCreateSerializer.name"} <= set(checked)
    assert problems == []


@pytest.mark.parametrize("brk", BREAKS, ids=["crlf", "lf", "cr", "u2028", "vt", "nel"])
def test_single_line_field_refuses_each_kind_of_line_break(brk):
    field = SingleLineField(label="Subject", max_length=200)
    with pytest.raises(ValidationError) as refused:
        field.clean(f"Quarterly{brk}review")
    assert refused.value.messages == ["Subject must be on one line: remove the line break."]
    assert field.clean("  Quarterly review  ") == "Quarterly review"


# --- the refusal where people meet it ------------------------------------------

@pytest.mark.django_db
def test_rfi_with_a_line_break_in_its_subject_is_refused_and_nothing_is_saved(demo, login):
    atlas = demo["atlas"]
    client = login(demo["reviewer_nsa"], accept_terms_for=[atlas])
    before = atlas.rfis.count()
    response = client.post(reverse("review_rfis", kwargs={"pk": atlas.pk}), {"subject": BROKEN, "question": "Line one.\nLine two."})
    assert response.status_code == 200
    assert "Subject must be on one line: remove the line break." in response.content.decode()
    assert atlas.rfis.count() == before


@pytest.mark.django_db
def test_finding_with_a_line_break_in_its_title_is_refused(demo, login):
    from findings.models import FindingCategory

    atlas = demo["atlas"]
    client = login(demo["reviewer_nsa"], accept_terms_for=[atlas])
    before = atlas.findings.count()
    response = client.post(
        reverse("review_findings", kwargs={"pk": atlas.pk}),
        {"title": BROKEN, "category": FindingCategory.objects.first().pk, "severity": "low", "description": "Multi\nline is fine."},
    )
    assert response.status_code == 200
    assert "Title must be on one line: remove the line break." in response.content.decode()
    assert atlas.findings.count() == before


@pytest.mark.django_db
def test_api_refuses_a_line_break_naming_the_field(demo):
    from rest_framework.test import APIClient

    from api.services import token_create
    from reviews.services import terms_accept

    atlas = demo["atlas"]
    terms_accept(review=atlas, user=demo["reviewer_nsa"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=demo['reviewer_nsa'], name='t')[1]}")
    before = atlas.rfis.count()
    response = client.post("/api/v1/rfis/", {"review": atlas.pk, "subject": BROKEN, "question": "Why?\nAnd how?"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "subject", "code": "line_break", "message": "Subject must be on one line: remove the line break."}
    ]
    assert atlas.rfis.count() == before


@pytest.mark.django_db
def test_admin_refuses_a_line_break_in_an_organisation_name(demo, login):
    nsa = demo["nsa"]
    client = login(demo["admin"])
    response = client.post(reverse("admin:agencies_agency_change", args=[nsa.pk]), {"acronym": "NSA", "name": "National\r\nSecurity Agency"})
    assert response.status_code == 200
    assert "Name must be on one line: remove the line break." in response.content.decode()
    nsa.refresh_from_db()
    assert nsa.name != "National\r\nSecurity Agency"
