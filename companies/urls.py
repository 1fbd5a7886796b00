from django.urls import path

from . import views

urlpatterns = [path("models/<int:pk>/", views.model_detail, name="model_detail")]
