"""``{% field_row %}`` (portal/field_tags.py) draws a form field as
``templates/includes/field.html`` does: every field of the portal's forms,
unbound and bound with errors, with each option the templates pass, must
come out the same (whitespace runs compared as one space: the template's
indentation is not the markup)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from portal.field_tags import field_row

UNSAFE = "a<b>&\"c'd"
OPTIONS = [{}, {"label": UNSAFE}, {"required": True}, {"inline": True}, {"show_for": "agency_lead x<y"}]


def _same(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def _both(field, **options) -> tuple[str, str]:
    return _same(render_to_string("includes/field.html", {"field": field, **options})), _same(field_row(field, **options))


class _Every(forms.Form):
    """Each branch of the template, with texts to escape and safe ones to keep."""

    plain = forms.CharField(label=UNSAFE, help_text=mark_safe("<em>help</em>"), max_length=3)
    lazy = forms.CharField(label=gettext_lazy("Lazy label"), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    agree = forms.BooleanField(label="I agree", help_text="Tick it")
    optional_box = forms.BooleanField(required=False)
    pick = forms.ChoiceField(choices=[("1", UNSAFE), ("2", "Two"), (3, 3)], widget=forms.RadioSelect, help_text="Pick one")
    none = forms.ChoiceField(choices=[], widget=forms.RadioSelect, required=False)
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple, required=False)
    kind = forms.ChoiceField(choices=[("", "---"), ("x", "X")])
    note = forms.CharField(widget=forms.Textarea, required=False)
    when = forms.DateField(required=False)
    upload = forms.FileField(required=False)

    def clean(self):
        self.add_error("note", mark_safe("A <strong>safe</strong> error"))
        self.add_error("note", UNSAFE)
        return self.cleaned_data


@pytest.mark.parametrize("data", [None, {"plain": "too long", "pick": "9", "when": "not a date", "many": ["a"]}])
def test_every_branch_draws_as_the_template(data):
    form = _Every(data)
    drawn = 0
    for field in form:
        for options in OPTIONS:
            template, python = _both(field, **options)
            assert python == template, (field.name, options)
            drawn += 1
    assert drawn == len(_Every.base_fields) * len(OPTIONS)
    if data:
        assert "field-error" in field_row(form["plain"]) and "A <strong>safe</strong> error" in field_row(form["note"])
        assert "a&lt;b&gt;&amp;&quot;c&#x27;d" in field_row(form["note"])
    assert "No choices are available." in field_row(form["none"])
    assert field_row(form["hidden"]).startswith('<input type="hidden"')


def _portal_forms():
    """Every form class of the portal's apps that can be made without arguments."""
    apps = [p.parent.name for p in Path(settings.BASE_DIR).glob("*/forms.py")]
    apps += [p.parent.parent.name + "." + p.parent.name for p in Path(settings.BASE_DIR).glob("*/forms/__init__.py")]
    found = {}
    for app in sorted(set(apps)):
        module = importlib.import_module(f"{app}.forms")
        modules = [module]
        if hasattr(module, "__path__"):
            modules += [importlib.import_module(f"{module.__name__}.{m.name}") for m in pkgutil.iter_modules(module.__path__)]
        for mod in modules:
            for _, cls in inspect.getmembers(mod, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == mod.__name__ and cls.base_fields:
                    found[f"{cls.__module__}.{cls.__name__}"] = cls
    return found


@pytest.mark.django_db
def test_the_portals_forms_draw_as_the_template(demo):
    made = 0
    for name, cls in _portal_forms().items():
        for data in (None, {}):
            try:
                form = cls(data) if data is not None else cls()
                form.is_valid() if data is not None else None
            except (TypeError, KeyError, AttributeError):
                continue  # a form that needs its review, user or instance
            made += 1
            for field in form:
                for options in OPTIONS:
                    template, python = _both(field, **options)
                    assert python == template, (name, field.name, options)
    assert made >= 30, made  # most of the portal's forms, unbound and bound


def test_templates_use_the_tag_without_loading_it():
    html = Template("{% field_row form.plain label='Other' %}").render(Context({"form": _Every()}))
    assert '<label for="id_plain">Other</label>' in html
