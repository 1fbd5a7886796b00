from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from . import views


# The admin login goes through allauth (and so through MFA), never around it.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("people/", include("accounts.urls")),
    path("", include("reviews.urls")),
    path("", include("documents.urls")),
    path("", include("companies.urls")),
    path("", include("notifications.urls")),
    path("", include("audit.urls")),
    path("", include("rfis.urls")),
    path("", include("findings.urls")),
    path("", include("readiness.urls")),
]
