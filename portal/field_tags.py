"""``{% field_row field %}``: one form field with its label, help text and
errors, the markup of ``templates/includes/field.html`` drawn in Python.

Every form in the portal drew each field through that template, included
with its context pushed and some twenty variables resolved one lookup at a
time: ~0.2 ms a field, ~1.2 ms of the lead's review page for the sign-off's
and the extension's five fields (measured with the bench data). Drawn here
it is a fraction of that. ``includes/field.html`` stays the reference:
portal/tests/test_field_tags.py draws every field of the portal's forms both
ways (bound with errors and not, with every option) and compares. Change
the markup in both.

Options, as the template took them: ``label`` (instead of the field's),
``required`` (hides "(optional)" on a conditionally required field),
``inline`` (choices in columns), ``show_for`` ("role_a role_b": portal.js
shows the field for those only). Registered as a builtin (settings:
``TEMPLATES``), so templates use it without ``{% load %}``.
"""

from __future__ import annotations

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


def _text(value) -> str:
    """``{{ value }}``: localised, then escaped unless marked safe."""
    value = localize(value)
    return conditional_escape(value if isinstance(value, str) else str(value))


def _optional(field, required: bool) -> str:
    return "" if field.field.required or required else ' <span class="optional">(optional)</span>'


def _help(field) -> str:
    if not field.help_text:
        return ""
    return f'<span class="help-text" id="{_text(field.auto_id)}_helptext">{field.help_text}</span>'  # |safe, as the template


def _errors(field) -> str:
    if not field.errors:
        return ""
    items = "".join(f'<li><span class="visually-hidden">Error: </span>{_text(error)}</li>' for error in field.errors)
    return f'<ul class="field-errors" id="{_text(field.auto_id)}_error">{items}</ul>'


@register.simple_tag
def field_row(field, label=None, required=False, inline=False, show_for=""):
    if field.is_hidden:
        return mark_safe(f"{field}\n")  # noqa: S308 — a bound field's markup is safe
    errors = field.errors
    shown_for = f' data-show-for="{_text(show_for)}"' if show_for else ""
    parts = [f'\n<div class="field{" field-error" if errors else ""}"{shown_for}>\n']
    if field.use_fieldset:
        described = field.aria_describedby
        described = f' aria-describedby="{_text(described)}"' if described else ""
        choices = [
            f'<div class="choice">{choice.tag()}<label for="{_text(choice.id_for_label)}">{_text(choice.choice_label)}</label></div>\n'
            for choice in field
        ] or ['<p class="muted">No choices are available.</p>\n']
        parts += [
            f'<fieldset id="{_text(field.auto_id)}"{described}>\n',
            f"<legend>{_text(field.label)}{_optional(field, required)}</legend>\n",
            f"{_help(field)}\n{_errors(field)}\n",
            f'<div class="choices{" choices-inline" if inline else ""}">\n',
            *choices,
            "</div>\n</fieldset>\n",
        ]
    elif field.widget_type == "checkbox":
        parts += [
            f"{_errors(field)}\n",
            f'<div class="checkbox-line">{field}<label for="{_text(field.id_for_label)}">{_text(field.label)}</label></div>\n',
            f"{_help(field)}\n",
        ]
    else:
        parts += [
            f'<label for="{_text(field.id_for_label)}">{_text(label or field.label)}{_optional(field, required)}</label>\n',
            f"{_help(field)}\n{_errors(field)}\n{field}\n",
        ]
    parts.append("</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 — every text escaped above; help texts are the forms' own markup (|safe)
