from django.urls import path

from . import views

urlpatterns = [
    path("reviews/<int:pk>/model-access/", views.review_model_access, name="review_model_access"),
    path("reviews/<int:pk>/model-access/endpoints/", views.endpoint_add, name="model_access_endpoint_add"),
    path("reviews/<int:pk>/model-access/credentials/", views.credential_issue, name="model_access_credential_issue"),
    path("reviews/<int:pk>/model-access/credentials/import/", views.credentials_import, name="model_access_credentials_import"),
    path("credentials/<int:pk>/reveal/", views.credential_reveal, name="credential_reveal"),
    path("credentials/<int:pk>/revoke/", views.credential_revoke, name="credential_revoke"),
    path("credentials/<int:pk>/rotated/", views.credential_rotated, name="credential_rotated"),
]
