"""A URLconf that mounts the portal's under another path (portal/tests/test_links.py)."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("portal.urls"))]
