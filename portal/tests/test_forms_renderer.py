"""The portal's form renderer draws Django's simplest widget templates in
Python (portal/forms_renderer.py): every widget must come out byte for byte
as Django's own templates draw it — escaping, safe values, bare and left-out
attributes, options in groups, labels wrapped or not — and the templates
must still be the markup it draws."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from portal.forms_renderer import INPUT_KINDS, FormRenderer

UNSAFE = "a<b>&\"c'd"
SAFE = mark_safe("<em>safe</em>")
CHOICES = [("", "---"), ("1", UNSAFE), ("2", gettext_lazy("Lazy label")), ("3", SAFE), (4, "Number value")]
GROUPED = [("Group <1>", [("a", "A"), ("b", "B")]), ("", [("c", "C")]), ("d", "D")]
ATTRS = [
    None,
    {"class": "x", "required": True, "disabled": False, "data-n": 0, "aria-describedby": "id_f_helptext id_f_error"},
    {"id": "id_f", "title": UNSAFE, "data-safe": SAFE, "placeholder": gettext_lazy("Type here")},
]


class _Watched(FormRenderer):
    """The portal's renderer, noting each template it leaves to the engine."""

    def __init__(self):
        super().__init__()
        self.engine_drew = set()

    def get_template(self, template_name):
        self.engine_drew.add(template_name.rsplit("/", 1)[-1])
        return super().get_template(template_name)


def _both(draw, portal=None):
    """What ``draw(renderer)`` gives with Django's renderer and with the portal's."""
    return draw(DjangoTemplates()), draw(portal or _Watched())


def _widgets():
    yield from (
        forms.TextInput(), forms.NumberInput(), forms.EmailInput(), forms.URLInput(), forms.PasswordInput(render_value=True),
        forms.HiddenInput(), forms.DateInput(), forms.DateTimeInput(), forms.TimeInput(), forms.CheckboxInput(),
        forms.Textarea(), forms.Select(choices=CHOICES), forms.Select(choices=GROUPED), forms.SelectMultiple(choices=CHOICES),
        forms.NullBooleanSelect(), forms.RadioSelect(choices=CHOICES), forms.CheckboxSelectMultiple(choices=GROUPED),
    )


VALUES = [None, "", "plain", UNSAFE, SAFE, 0, 12, True, False, "1", ["1", "3"], "b", "line one\nline <two>"]


@pytest.mark.parametrize("attrs", ATTRS)
def test_every_widget_draws_as_djangos_templates_draw_it(attrs):
    drawn, portal = 0, _Watched()
    for widget in _widgets():
        for value in VALUES:
            if isinstance(value, list) and not getattr(widget, "allow_multiple_selected", False):
                continue  # a list is the value of a multiple choice only
            django_html, portal_html = _both(lambda renderer: widget.render("f", value, attrs=attrs, renderer=renderer), portal)
            assert portal_html == django_html, (type(widget).__name__, value, attrs)
            drawn += 1
    assert drawn == 17 * len(VALUES) - 15  # two widgets take the list
    # Only the lists of radio buttons and check boxes went to the engine (with their options inside).
    assert portal.engine_drew == {"radio.html", "checkbox_select.html"}


class _Choices(forms.Form):
    pick = forms.ChoiceField(choices=CHOICES[1:], widget=forms.RadioSelect, help_text="Pick one")
    many = forms.MultipleChoiceField(choices=GROUPED, widget=forms.CheckboxSelectMultiple, required=False)
    note = forms.CharField(widget=forms.Textarea, required=False)
    when = forms.DateField(required=False)


@pytest.mark.parametrize("data", [None, {"pick": "2", "many": ["a", "c"], "note": UNSAFE, "when": "not a date"}])
def test_a_forms_fields_and_their_choices_draw_as_djangos_templates_draw_them(data):
    """As includes/field.html draws them: each choice's tag, each choice with
    its label wrapped, and the whole field."""

    def draw(renderer):
        form = _Choices(data, renderer=renderer)
        out = []
        for field in form:
            out.append(str(field))
            if field.name in ("pick", "many"):
                out += [choice.tag() for choice in field] + [str(choice) for choice in field]
        return out

    portal = _Watched()
    django_html, portal_html = _both(draw, portal)
    assert portal_html == django_html
    assert any('checked' in piece for piece in portal_html) == bool(data)
    assert portal.engine_drew == {"radio.html", "checkbox_select.html"}  # str(field) of the two; every choice drawn in Python


def test_values_a_template_would_call_or_localise_are_left_to_the_engine():
    """A callable attribute (a template calls it) and a number as a label (a template localises it)."""
    for widget in (forms.Select(choices=[(1, "one")], attrs={"data-f": lambda: "called"}), forms.Select(choices=[(1, 1.5), (2, "two")])):
        portal = _Watched()
        django_html, portal_html = _both(lambda renderer: widget.render("f", 1, renderer=renderer), portal)  # noqa: B023
        assert portal_html == django_html and portal.engine_drew == {"select.html"}
    assert 'data-f="called"' in _both(lambda renderer: forms.Select(attrs={"data-f": lambda: "called"}).render("f", 1, renderer=renderer))[1]


# The markup drawn in Python, as Django 5.2's templates hold it.
TEMPLATES = {
    "attrs": "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}{% if value is not True %}="
             "\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}{% endfor %}",
    "input": '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %} value="{{ widget.value|stringformat:\'s\' }}"'
             '{% endif %}{% include "django/forms/widgets/attrs.html" %}>',
    "input_option": '{% if widget.wrap_label %}<label{% if widget.attrs.id %} for="{{ widget.attrs.id }}"{% endif %}>{% endif %}'
                    '{% include "django/forms/widgets/input.html" %}{% if widget.wrap_label %} {{ widget.label }}</label>{% endif %}',
    "radio_option": '{% include "django/forms/widgets/input_option.html" %}',
    "checkbox_option": '{% include "django/forms/widgets/input_option.html" %}',
    "textarea": '<textarea name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>\n'
                "{% if widget.value %}{{ widget.value }}{% endif %}</textarea>",
    "select": '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>{% for group_name, group_choices, group_index in '
              'widget.optgroups %}{% if group_name %}\n  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n  '
              "{% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n  </optgroup>{% endif %}{% endfor %}\n</select>",
    "select_option": "<option value=\"{{ widget.value|stringformat:'s' }}\"{% include \"django/forms/widgets/attrs.html\" %}>{{ widget.label }}</option>",
} | {kind: '{% include "django/forms/widgets/input.html" %}' for kind in INPUT_KINDS if kind != "input"}


def test_djangos_widget_templates_are_still_the_markup_drawn_in_python():
    engine = DjangoTemplates().engine
    for name, markup in TEMPLATES.items():
        source = engine.get_template(f"django/forms/widgets/{name}.html").template.source
        assert source.rstrip("\n") == markup, name


def test_the_portal_draws_its_forms_with_this_renderer(settings):
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    try:
        assert isinstance(get_default_renderer(), FormRenderer)
        assert isinstance(_Choices().renderer, FormRenderer)
    finally:
        get_default_renderer.cache_clear()
