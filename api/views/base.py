from __future__ import annotations

from rest_framework import viewsets
from rest_framework.renderers import BaseRenderer, JSONRenderer

from reviews.selectors import standing_get

# Ids are bigints; a longer number is no id at all (404 at the URL, not a database error).
ID = r"[0-9]{1,18}"


class PortalViewSet(viewsets.GenericViewSet):
    """Authentication, permission, throttling, pagination and filters come from REST_FRAMEWORK settings."""

    lookup_value_regex = ID

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return self.queryset
        return self.scoped_queryset()

    def scoped_queryset(self):
        raise NotImplementedError


class MaterialViewSet(PortalViewSet):
    """A review's material: lists leave out reviews whose terms an agency user has not
    accepted; a detail of such an object answers 403 terms_required (it is in scope)."""

    selector = None
    documents = False  # documents and versions: closed to an agency that certified their return or destruction

    def review_of(self, obj):
        return obj.review_id

    def scoped_queryset(self):
        return type(self).selector(user=self.request.user, material=self.action == "list")

    def get_object(self):
        obj = super().get_object()
        self.standing = standing_get(user=self.request.user, review=self.review_of(obj))
        if self.documents:
            self.standing.require_documents()  # 403 terms_required / material_returned (api.exceptions)
        else:
            self.standing.require_material()  # 403 terms_required (api.exceptions)
        return obj


class AnyRenderer(BaseRenderer):
    """Lets a download answer whatever the client accepts; errors still come out as JSON."""

    media_type = "*/*"
    format = "bin"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, "application/json", renderer_context)
