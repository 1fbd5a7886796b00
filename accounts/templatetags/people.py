"""``{% person someone %}``: a person as the signed-in viewer may see them
(accounts.people.person_label); ``{% person_email someone %}`` and
``{% person_with_organisation someone %}`` likewise; ``name|possessive``."""

from django import template

from accounts.people import person_email as _person_email
from accounts.people import person_label
from accounts.people import person_with_organisation as _person_with_organisation
from accounts.people import possessive as _possessive

register = template.Library()


@register.simple_tag(takes_context=True)
def person(context, someone):
    return person_label(someone, viewer=context.get("user"))


@register.simple_tag(takes_context=True)
def person_with_organisation(context, someone):
    return _person_with_organisation(someone, viewer=context.get("user"))


@register.filter
def possessive(name):
    """The name escaped, its apostrophe kept as typed (``NSA's`` in the page source too)."""
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe

    text = _possessive(name)
    name = str(name)
    return mark_safe(conditional_escape(name) + text[len(name):])  # noqa: S308 (the name is escaped)


@register.simple_tag(takes_context=True)
def person_email(context, someone):
    return _person_email(someone, viewer=context.get("user"))


@register.filter
def may_name(someone, viewer):
    from accounts.people import may_name as _may_name

    return _may_name(someone, viewer=viewer)


@register.filter
def nameable(people, viewer):
    """Those of ``people`` whom ``viewer`` may know by name (the others are left out, not counted)."""
    from accounts.people import may_name as _may_name

    return [p for p in people if _may_name(p, viewer=viewer)]
