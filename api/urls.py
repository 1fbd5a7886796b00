"""The REST API: /api/v1/ (router), /api/schema/ (OpenAPI 3), /api/docs/ (Swagger UI)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.routers import SimpleRouter

from .views.documents import DocumentViewSet, VersionViewSet
from .views.findings import CataloguesView, FindingViewSet, NotificationViewSet
from .views.modelaccess import AccessEndpointViewSet, CredentialViewSet
from .views.organisations import AgencyViewSet, AIModelViewSet, CompanyViewSet
from .views.reviews import ReviewViewSet
from .views.rfis import RfiViewSet
from .views.saved_searches import SavedSearchViewSet
from .views.search import SearchView

router = SimpleRouter()
router.register("agencies", AgencyViewSet, basename="agency")
router.register("companies", CompanyViewSet, basename="company")
router.register("models", AIModelViewSet, basename="model")
router.register("reviews", ReviewViewSet, basename="review")
router.register("documents", DocumentViewSet, basename="document")
router.register("versions", VersionViewSet, basename="version")
router.register("rfis", RfiViewSet, basename="rfi")
router.register("findings", FindingViewSet, basename="finding")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("access-endpoints", AccessEndpointViewSet, basename="access-endpoint")
router.register("credentials", CredentialViewSet, basename="credential")
router.register("saved-searches", SavedSearchViewSet, basename="saved-search")



class SchemaView(SpectacularJSONAPIView):
    """The OpenAPI 3 schema as JSON (errors too)."""


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI; its script is a separate request (the CSP forbids inline scripts). Errors answer in JSON."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


app_name = "api"
urlpatterns = [
    path("v1/catalogues/", CataloguesView.as_view(), name="catalogues"),
    path("v1/search/", SearchView.as_view(), name="search"),
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
]
