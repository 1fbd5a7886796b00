from django.urls import path

from . import views

urlpatterns = [
    path("reviews/<int:pk>/rfis/", views.review_rfis, name="review_rfis"),
    path("reviews/<int:pk>/rfis/similar/", views.review_rfis_similar, name="review_rfis_similar"),
    path("rfis/<int:pk>/", views.rfi_detail, name="rfi_detail"),
    path("rfis/<int:pk>/follow/", views.rfi_follow, name="rfi_follow"),
    path("rfis/<int:pk>/assign/", views.rfi_assign, name="rfi_assign"),
    path("rfis/<int:pk>/faq/", views.rfi_publish_faq, name="rfi_publish_faq"),
    path("reviews/<int:pk>/faq/", views.review_faq, name="review_faq"),
    path("rfis/<int:pk>/answer/", views.rfi_answer, name="rfi_answer"),
    path("rfis/<int:pk>/reopen/", views.rfi_reopen, name="rfi_reopen"),
    path("rfis/<int:pk>/close/", views.rfi_close, name="rfi_close"),
]
