from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_index, name="notification_index"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
