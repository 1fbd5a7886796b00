from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.audit_index, name="audit_index"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
]
