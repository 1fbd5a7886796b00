from django.urls import path

from . import views

urlpatterns = [
    path("reviews/<int:pk>/report.<slug:fmt>", views.review_report, name="review_report"),
    path("reviews/<int:pk>/export.json", views.review_export_json, name="review_export_json"),
    path("reviews/<int:pk>/oscal/<slug:kind>.json", views.review_oscal, name="review_oscal"),
    path("reviews/<int:pk>/package/", views.review_package, name="review_package"),
    path("reviews/<int:pk>/package/new/", views.review_package_request, name="review_package_request"),
    path("packages/<int:pk>/download/", views.package_download, name="package_download"),
    path("exports/schema/review-export-1.schema.json", views.export_schema, name="export_schema"),
    path("exports/signing-key/", views.signing_key, name="signing_key"),
]
