"""Sign-in routing and step-up (under /accounts/), providers for program admins (under /people/)."""

from django.urls import path

from . import views

account_urlpatterns = [
    path("sso/", views.sso_start, name="sso_start"),
    path("sso/<slug:slug>/step-up/", views.sso_step_up, name="sso_step_up"),
]

people_urlpatterns = [
    path("identity-providers/", views.provider_list, name="sso_provider_list"),
    path("identity-providers/new/", views.provider_edit, name="sso_provider_create"),
    path("identity-providers/<int:pk>/edit/", views.provider_edit, name="sso_provider_edit"),
]
