from django.urls import path

from . import views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("documents/<int:pk>/find/", views.document_find, name="document_find"),
    path("search/saved/", views.saved_search_index, name="saved_search_index"),
    path("search/saved/new/", views.saved_search_save, name="saved_search_save"),
    path("search/saved/<int:pk>/alert/", views.saved_search_alert, name="saved_search_alert"),
    path("search/saved/<int:pk>/remove/", views.saved_search_remove, name="saved_search_remove"),
]
