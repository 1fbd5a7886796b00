"""Identity providers, for program admins (mounted under /people/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("identity-providers/", views.provider_list, name="sso_provider_list"),
    path("identity-providers/new/", views.provider_edit, name="sso_provider_create"),
    path("identity-providers/<int:pk>/edit/", views.provider_edit, name="sso_provider_edit"),
]
