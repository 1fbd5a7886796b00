from django.urls import path

from . import views

urlpatterns = [
    path("reviews/<int:pk>/documents/", views.review_documents, name="review_documents"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/edit/", views.document_edit, name="document_edit"),
    path("documents/<int:pk>/versions/", views.document_version_upload, name="document_version_upload"),
    path("documents/versions/<int:pk>/download/", views.version_download, name="version_download"),
    path("documents/versions/<int:pk>/view/", views.version_view, name="version_view"),
]
