"""The record as people read it: ``{{ event.action|action_label }}`` and
``{% for label, value in event.payload|payload_fields %}`` (audit.labels)."""

from django import template

from audit import labels

register = template.Library()


@register.filter
def action_label(code):
    return labels.action_label(code)


@register.filter
def payload_fields(payload):
    return labels.payload_fields(payload)
