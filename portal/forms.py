"""Form helpers shared by every app's views, and the one single-line field."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.text import capfirst

# Every character that ends a line (str.splitlines' set): CR and LF, and the
# vertical tab, form feed, file/group/record separators, NEL and the Unicode
# line and paragraph separators, which some mail and log readers also break on.
LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@deconstructible
class SingleLineValidator:
    """Refuses a line break in a one-line value (a subject, a title, a name):
    such values end up in e-mail headers, CSV rows, file names and log lines,
    where a break starts a new header or record. The message names the field."""

    code = "line_break"

    def __init__(self, field: str = "This field"):
        self.field = field

    def __call__(self, value) -> None:
        if value and LINE_BREAK.search(str(value)):
            raise ValidationError(
                "%(field)s must be on one line: remove the line break.", code=self.code, params={"field": self.field}
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, SingleLineValidator) and other.field == self.field


class SingleLineField(forms.CharField):
    """The field for every one-line text a person types into a form (pages and
    the Django admin); multi-line text uses a Textarea. ``label`` names the
    field in the refusal."""

    def __init__(self, *, label: str, **kwargs):
        super().__init__(label=label, **kwargs)
        self.validators.append(SingleLineValidator(capfirst(str(label))))


def add_service_errors(form, exc: ValidationError) -> None:
    """Puts a service's ValidationError on the form: field messages next to
    their field, the rest (or a field the form does not have) at the top."""
    if hasattr(exc, "message_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
