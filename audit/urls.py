from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.audit_index, name="audit_index"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
