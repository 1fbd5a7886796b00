"""``/api/v1/saved-searches/``: the caller's saved searches, as on the web's
saved-search list (search.views): list, keep one, alerts on or off, remove.
Nobody reads or changes another's: any other id answers 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from search import selectors, services
from search.forms import SaveSearchForm
from search.models import SavedSearch

from ..exceptions import form_refused
from ..serializers.search import SavedSearchAlertSerializer, SavedSearchCreateSerializer, SavedSearchSerializer
from .base import PortalViewSet


class SavedSearchViewSet(PortalViewSet):
    """The caller's own saved searches, newest first. With ``alert`` on, the
    portal runs each again about every quarter of an hour as the caller and
    tells them (counts only) of new matches."""

    queryset = SavedSearch.objects.none()  # for the schema; requests use scoped_queryset()
    serializer_class = SavedSearchSerializer
    filter_backends = []  # noqa: RUF012 — no filters or ordering of its own: newest first
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]  # noqa: RUF012

    def scoped_queryset(self):
        return selectors.saved_searches_of(user=self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SavedSearchSerializer(page, many=True, context=self.get_serializer_context()).data)

    def retrieve(self, request, pk=None):
        return Response(SavedSearchSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(request=SavedSearchCreateSerializer, responses={201: SavedSearchSerializer, 200: SavedSearchSerializer})
    def create(self, request):
        """Keeps a search: the words and filters as GET /api/v1/search/ takes
        them. The same words and filters again answer 200 with the one kept;
        past the most a reader keeps, 400."""
        shape = SavedSearchCreateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)  # the fields and their types (an unknown field, a list, a line break: 400)
        # Then the page's own form, as the page sends it (text), for the rest (the dates' order …).
        data = {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in shape.validated_data.items()}
        form = SaveSearchForm(data)
        if not form.is_valid():
            raise form_refused(form)
        saved, created = services.saved_search_create(
            owner=request.user, text=form.cleaned_data["q"], params=form.saved_params(), alert=form.cleaned_data["alert"]
        )
        body = SavedSearchSerializer(saved, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=SavedSearchAlertSerializer, responses={200: SavedSearchSerializer})
    def partial_update(self, request, pk=None):
        """Alerts on or off: turned on, only what matches after now is told."""
        saved = self.get_object()
        serializer = SavedSearchAlertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = services.saved_search_alert_set(owner=request.user, saved_search_id=saved.pk, alert=serializer.validated_data["alert"])
        return Response(SavedSearchSerializer(saved, context=self.get_serializer_context()).data)

    def destroy(self, request, pk=None):
        services.saved_search_delete(owner=request.user, saved_search_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
