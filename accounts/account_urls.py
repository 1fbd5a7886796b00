"""The signed-in person's own settings (mounted under /accounts/, next to allauth's pages)."""

from django.urls import path

from . import views

urlpatterns = [
    path("time-zone/", views.time_zone_edit, name="account_time_zone"),
    path("keyboard/", views.keyboard_shortcuts_edit, name="account_keyboard"),
]
