from django.urls import path

from . import views

urlpatterns = [
    path("", views.people_index, name="people_list"),
    path("<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("<int:pk>/reactivate/", views.person_reactivate, name="person_reactivate"),
    path("invitations/", views.invitation_create, name="invitation_create"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
