"""One error body for every API failure.

``{"errors": [{"field": "title", "code": "required", "message": "…"}]}``
— ``field`` is null for errors about the request as a whole (malformed
JSON, authentication, not found, throttling …). A service's Django
ValidationError becomes a 400 with its field names; a state-machine refusal
(a review, RFI … that cannot make that move) is a 400 on ``status``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import NotAllowed, Refused


def form_refused(form) -> exceptions.ValidationError:
    """A bound, invalid Django form's errors as the API's 400, field by field
    with each error's own code (the search and saved-search endpoints validate
    with the web page's form)."""
    return exceptions.ValidationError({
        field: [exceptions.ErrorDetail(error["message"], code=error["code"]) for error in errors]
        for field, errors in form.errors.get_json_data().items()
    })


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "too_large"

    def __init__(self):
        super().__init__(
            f"The request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes); "
            "send files as multipart uploads."
        )


class StorageUnavailable(exceptions.APIException):
    """Storage refused a write (full, down): nothing was kept and the same request may succeed later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "storage_unavailable"
    default_detail = "The portal's storage is unavailable; nothing was stored. Try again later."
    wait = 60  # DRF's handler turns this into Retry-After


class TermsRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "terms_required"
    default_detail = "Accept the review's access terms first (POST /api/v1/reviews/<id>/accept-terms/)."


def _convert(exc):
    """Django's and the services' exceptions as DRF ones. A ``Refused`` service
    call: a role's refusal (``NotAllowed``) is 403, the terms gate 403
    ``terms_required``, any other (a move the state does not allow) 400 on
    its field, ``status`` by default."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoValidationError):  # an UploadRefused is one too: its file is the field
        return exceptions.ValidationError(detail=as_serializer_error(exc))
    if isinstance(exc, Refused):
        if exc.code == "terms_required":
            return TermsRequired()
        if isinstance(exc, NotAllowed):
            return exceptions.PermissionDenied(str(exc) or None)
        return exceptions.ValidationError({exc.field or "status": [exceptions.ErrorDetail(str(exc), code=exc.code)]})
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return BodyTooLarge()
    return exc


def flatten(detail, field: str | None = None):
    """Yields one {field, code, message} per message of a DRF error detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                name = field
            else:
                name = f"{field}.{key}" if field else str(key)
            yield from flatten(value, name)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                yield from flatten(item, f"{field}.{index}" if field else str(index))
            else:
                yield from flatten(item, field)
    else:
        yield {"field": field, "code": getattr(detail, "code", None) or "invalid", "message": str(detail)}


def exception_handler(exc, context):
    exc = _convert(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    response.data = {"errors": list(flatten(detail))}
    return response


def error_response(status_code: int, *, message: str, code: str, field: str | None = None):
    from rest_framework.response import Response

    return Response({"errors": [{"field": field, "code": code, "message": message}]}, status=status_code)


def json_not_found(request):
    """The API's 404 body for a URL that matches no endpoint (used by portal.urls.handler404)."""
    from django.http import JsonResponse

    return JsonResponse({"errors": [{"field": None, "code": "not_found", "message": "Not found."}]}, status=404)
