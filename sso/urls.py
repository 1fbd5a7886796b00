"""The OIDC redirect endpoints (mounted by allauth under /accounts/ for the portal_oidc provider).

Register ``https://<portal>/accounts/sso/<slug>/login/callback/`` as the
redirect URI with the organisation's IdP.
"""

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.http import Http404
from django.urls import path

from .provider import PortalOIDCAdapter


@login_not_required
def login(request, provider_id):
    try:
        return OAuth2LoginView.adapter_view(PortalOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


class PortalCallbackView(OAuth2CallbackView):
    """Hands the unstashed state (nonce, process) to the adapter, which checks the
    ID token's nonce before allauth looks up or writes anything."""

    def _get_state(self, request, provider):
        state, response = super()._get_state(request, provider)
        self.adapter.state = state
        return state, response


@login_not_required
def callback(request, provider_id):
    try:
        return PortalCallbackView.adapter_view(PortalOIDCAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


urlpatterns = [
    path("sso/<slug:provider_id>/login/", login, name="portal_oidc_login"),
    path("sso/<slug:provider_id>/login/callback/", callback, name="portal_oidc_callback"),
]
