from django.urls import path

from . import views

urlpatterns = [
    path("invitations/", views.invitation_create, name="invitation_create"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
