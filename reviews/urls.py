from django.urls import path

from . import views

urlpatterns = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/new/", views.review_create, name="review_create"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="review_edit"),
    path("reviews/<int:pk>/delete/", views.review_delete, name="review_delete"),
    path("reviews/<int:pk>/terms/", views.review_terms_accept, name="review_terms_accept"),
    path("reviews/<int:pk>/transition/<slug:name>/", views.review_transition, name="review_transition"),
    path("reviews/<int:pk>/access/", views.review_access, name="review_access"),
    path("reviews/<int:pk>/access/revoke/", views.review_access_revoke, name="review_access_revoke"),
    path("reviews/<int:pk>/extensions/", views.review_extension_request, name="review_extension_request"),
    path("reviews/<int:pk>/certify/", views.review_certify, name="review_certify"),
    path("reviews/<int:pk>/sign-off/", views.review_sign_off, name="review_sign_off"),
    path("reviews/<int:pk>/history/", views.review_history, name="review_history"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("extensions/<int:pk>/answer/", views.extension_answer, name="extension_answer"),
    path("extensions/<int:pk>/position/", views.extension_position, name="extension_position"),
    path("models/<int:pk>/", views.model_detail, name="model_detail"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("assignments/<int:pk>/remove/", views.assignment_remove, name="assignment_remove"),
]
