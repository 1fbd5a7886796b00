"""Sign-in routing and step-up through an identity provider (mounted under /accounts/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("sso/", views.sso_start, name="sso_start"),
    path("sso/<slug:slug>/step-up/", views.sso_step_up, name="sso_step_up"),
]
