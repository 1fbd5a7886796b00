from django.urls import path

from . import views

urlpatterns = [
    path("reviews/<int:pk>/readiness/", views.review_checklist, name="review_checklist"),
    path("readiness/<int:pk>/answer/", views.checklist_item_answer, name="checklist_item_answer"),
]
