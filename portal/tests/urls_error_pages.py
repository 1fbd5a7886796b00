"""The portal's URLs plus one view that fails, for the error-page tests."""

from django.urls import path

from portal.urls import handler404, urlpatterns as portal_urlpatterns  # noqa: F401  (handler404 is the portal's)


def fails(request):
    raise RuntimeError("secret-in-a-stack-frame: DATABASE_URL=postgres://portal:hunter2@db/portal")


urlpatterns = [path("fails/", fails), *portal_urlpatterns]
