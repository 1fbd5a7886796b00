from django.urls import path

from . import views

urlpatterns = [
    path("reviews/<int:pk>/report.<slug:fmt>", views.review_report, name="review_report"),
]
