"""Form helpers shared by every app's views: the one single-line field, and
one way to show what a service refused."""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.text import capfirst

from .errors import Refused

# Every character that ends a line (str.splitlines' set): CR and LF, and the
# vertical tab, form feed, file/group/record separators, NEL and the Unicode
# line and paragraph separators, which some mail and log readers also break on.
LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """A model select's choices read once per form: iterating the field's
    queryset (kept after the first read) instead of Django's ``.iterator()``,
    which opens a server-side cursor on PostgreSQL on every pass. Rendering a
    select makes two passes (the ``required`` check reads the first choice,
    the options all of them): two cursors and six round trips for a list of
    five markings. The lists offered are short by design."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    """The portal's model select (``ListedChoiceIterator``)."""

    iterator = ListedChoiceIterator


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The portal's model multi-select (``ListedChoiceIterator``)."""

    iterator = ListedChoiceIterator


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


def show_refusal(request, exc: Exception, form=None) -> None:
    """Shows a refused service call where the person will look for it.

    A ValidationError's messages go next to their fields (``add_service_errors``);
    a ``Refused`` goes next to its ``field`` or at the top of the form. Without
    a form (a button on a page that redirects back) the message is flashed.
    """
    if form is not None and isinstance(exc, ValidationError):
        add_service_errors(form, exc)
        return
    if form is not None and isinstance(exc, Refused):
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            for field, errors in exc.message_dict.items():
                label = field.replace("_", " ").capitalize() if field != "__all__" else ""
                messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        else:
            messages.error(request, " ".join(exc.messages))
        return
    messages.error(request, str(exc))
