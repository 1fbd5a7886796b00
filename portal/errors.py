"""The one error type for a service call the portal refuses.

A service raises a ``Refused`` (or one of its subclasses: a transition the
lifecycle does not allow, an assignment that cannot happen …) when the
request is understood but may not be carried out now. The message is written
for the person who tried; ``field`` names the form field it is about, when
there is one. Views show it next to that field or at the top of the form
(``portal.forms.show_refusal``); the API answers it in its error body.

``NotAllowed`` is the refusal of a role: the user may see the object but not
do this to it (the API answers 403; pages that offered no such button answer
404 before a service is ever called).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class Refused(Exception):
    """A service call refused; ``str(exc)`` says why, for the person who tried."""

    code = "refused"

    def __init__(self, message: str = "", *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotAllowed(Refused, PermissionDenied):
    """The user's standing on the object does not allow this act (Django's
    PermissionDenied too, so code that expects a permission error gets one)."""

    code = "not_allowed"


class TermsRequired(NotAllowed):
    """A review's material stays closed to an agency user until they accept the
    review's current access terms (``reviews.standing.Standing.require_material``).
    Pages answer it with the terms page and come back afterwards
    (``portal.middleware.RefusalMiddleware``); the API with 403 ``terms_required``."""

    code = "terms_required"

    def __init__(self, review_id: int):
        self.review_id = review_id
        super().__init__("Accept the review's access terms to open its material.")


class MaterialReturned(NotAllowed):
    """The user's agency certified that it returned or destroyed a review's
    material (``reviews.standing.Standing.require_documents``): no document or
    version of the review opens to it any more. Pages answer it with a page
    saying why (``portal.middleware.RefusalMiddleware``); the API with 403
    ``material_returned``."""

    code = "material_returned"

    def __init__(self, review_id: int):
        self.review_id = review_id
        super().__init__(
            "Your agency certified that it returned or destroyed this review's material, "
            "so its documents are no longer available to your agency."
        )
