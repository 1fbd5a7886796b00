"""Profile pages for API tokens (mounted under /people/)."""

from django.urls import path

from .views import tokens

urlpatterns = [
    path("api-tokens/", tokens.token_list, name="api_token_list"),
    path("api-tokens/<int:pk>/revoke/", tokens.token_revoke, name="api_token_revoke"),
]
