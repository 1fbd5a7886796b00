from django.urls import path

from . import views

urlpatterns = [
    path("models/", views.model_list, name="model_list"),
    path("models/new/", views.model_create, name="model_create"),
    path("models/<int:pk>/edit/", views.model_edit, name="model_edit"),
]
