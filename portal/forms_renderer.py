"""Form widgets drawn without the template engine where Django's own widget
templates are a line or two of markup.

Every field the portal draws goes through Django's widget templates: an
input is ``input.html`` including ``attrs.html``; a radio button is
``radio_option.html`` → ``input_option.html`` → ``input.html`` →
``attrs.html``, each an included template with its context pushed and every
variable resolved one lookup at a time. Measured on the lead's review page
(bench pages): ~0.2 ms a field, ~0.9 ms for the sign-off's four radio
buttons, ~1.5 ms of the page's ~10 ms of CPU for its three fields.

``FormRenderer`` draws those few templates in Python, to the byte, and
leaves every other template (a form's, a field's, any widget's own) to the
engine, as does a widget whose values are of a kind the templates would
turn into text in their own way (a number as a label: localised; anything
callable: called). What is drawn here is the markup of Django 5.2's
templates; portal/tests/test_forms_renderer.py checks their text is still
that, and draws every widget of the portal's kinds both ways and compares.
"""

from __future__ import annotations

from collections.abc import Callable

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"
_SELECT_OPTION = f"{_WIDGETS}select_option.html"
# Widgets whose template is only ``{% include "django/forms/widgets/input.html" %}``.
INPUT_KINDS = ("input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel", "checkbox")
_TEXTS = (str, Promise)


class _Slow(Exception):
    """A value the fast path does not draw: the engine draws the template."""


def _string(value) -> str:
    """``{{ value }}`` of a text (escaped unless marked safe); anything but a text goes to the engine."""
    if not isinstance(value, _TEXTS):
        raise _Slow
    return conditional_escape(value)


def _formatted(value) -> str:
    """``{{ value|stringformat:'s' }}``: its ``%s``, escaped unless it was marked safe."""
    if callable(value):
        raise _Slow  # a template calls it first
    text = str(value) if isinstance(value, tuple) else "%s" % value
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    """``attrs.html``: `` name="value"`` each, a bare name for True, nothing for False."""
    if "items" in attrs:
        raise _Slow  # the template would loop over attrs["items"]
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {_string(name)}")
        else:
            parts.append(f' {_string(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return f'<input type="{_string(widget["type"])}" name="{_string(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def _input_option(widget: dict) -> str:
    if not widget.get("wrap_label"):
        return _input(widget)
    label_id = widget["attrs"].get("id")
    target = f' for="{_string(label_id)}"' if label_id else ""
    # input.html's own last line break stays in an included template's text (the engine strips only the whole).
    return f"<label{target}>{_input(widget)}\n {_string(widget['label'])}</label>"


def _textarea(widget: dict) -> str:
    value = widget["value"]
    return f'<textarea name="{_string(widget["name"])}"{_attrs(widget["attrs"])}>\n{_string(value) if value else ""}</textarea>'


def _select_option(widget: dict) -> str:
    return f'<option value="{_formatted(widget["value"])}"{_attrs(widget["attrs"])}>{_string(widget["label"])}</option>'


class FormRenderer(DjangoTemplates):
    """Django's default renderer, with its simplest widget templates drawn in Python."""

    def __init__(self):
        super().__init__()
        fast: dict[str, Callable[[dict], str]] = {f"{_WIDGETS}{kind}.html": _input for kind in INPUT_KINDS}
        fast |= {
            f"{_WIDGETS}input_option.html": _input_option,
            f"{_WIDGETS}radio_option.html": _input_option,
            f"{_WIDGETS}checkbox_option.html": _input_option,
            f"{_WIDGETS}textarea.html": _textarea,
            f"{_WIDGETS}select_option.html": _select_option,
            f"{_WIDGETS}select.html": self._select,
        }
        self._fast = fast

    def render(self, template_name, context, request=None):
        draw = self._fast.get(template_name)
        if draw is not None and request is None and set(context) == {"widget"}:
            try:
                return draw(context["widget"])
            except _Slow:
                pass
        return super().render(template_name, context, request)

    def _select(self, widget: dict) -> str:
        """``select.html`` with its options (``select_option.html``, included:
        each with its template's last line break)."""
        parts = [f'<select name="{_string(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _ in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_string(group_name)}">')
            for option in group_choices:
                if option["template_name"] != _SELECT_OPTION:
                    raise _Slow  # an option of its own template: the engine draws the select
                parts.append(f"\n  {_select_option(option)}\n")
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)
