"""Form helpers shared by every app's views: one way to show what a service refused."""

from django.contrib import messages
from django.core.exceptions import ValidationError

from .errors import Refused


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
