from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from sso import web_urls as sso_urls

from . import views


# The admin login goes through allauth (and so through MFA), never around it.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("admin/", admin.site.urls),
    path("accounts/", include(sso_urls.account_urlpatterns)),
    path("accounts/", include("allauth.urls")),
    path("people/", include(sso_urls.people_urlpatterns)),
    path("people/", include("accounts.urls")),
    path("people/", include("api.web_urls")),
    path("api/", include("api.urls")),
    path("", include("reviews.urls")),
    path("", include("documents.urls")),
    path("", include("companies.urls")),
    path("", include("notifications.urls")),
    path("", include("audit.urls")),
    path("", include("rfis.urls")),
    path("", include("findings.urls")),
    path("", include("readiness.urls")),
]


def handler404(request, exception):
    """API paths answer 404 with the API's error body; pages keep the portal's 404 page."""
    if request.path.startswith("/api/"):
        from api.exceptions import json_not_found

        return json_not_found(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
