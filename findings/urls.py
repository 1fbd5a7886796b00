from django.urls import path

from . import views

urlpatterns = [
    path("reviews/<int:pk>/findings/", views.review_findings, name="review_findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/share/", views.finding_share, name="finding_share"),
    path("findings/<int:pk>/comment/", views.finding_comment, name="finding_comment"),
    path("findings/<int:pk>/edit/", views.finding_edit, name="finding_edit"),
    path("findings/<int:pk>/link/", views.finding_link, name="finding_link"),
    path("findings/<int:pk>/move/<slug:name>/", views.finding_transition, name="finding_transition"),
    path("findings/<int:pk>/evidence/", views.finding_evidence_add, name="finding_evidence_add"),
    path("findings/evidence/<int:pk>/download/", views.finding_evidence_download, name="finding_evidence_download"),
    path("findings/evidence/<int:pk>/view/", views.finding_evidence_view, name="finding_evidence_view"),
]
