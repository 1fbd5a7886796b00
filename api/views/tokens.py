"""The profile page where people create, see and revoke their personal API tokens.

Creating a token needs a session that itself completed an MFA step
(accounts.assurance.session_mfa_verified), checked here and not only by the
middleware, which demo mode switches off, and a recent authentication
(step-up: accounts.stepup); the token then stands on its own. The plain token is in the one
response that creates it (never in a redirect, message or log) and is not
cached.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.assurance import session_mfa_verified
from accounts.stepup import step_up_required
from portal.forms import add_service_errors

from .. import services
from ..forms import TokenCreateForm
from ..models import ApiToken
from ..throttling import TokenRateThrottle


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    # The session's own MFA comes before the step-up: a session without a second
    # factor is sent to set one up, not asked to re-prove a password.
    if not getattr(request.user, "membership", None):
        raise Http404
    if not session_mfa_verified(request):
        from accounts.middleware import redirect_to_mfa

        return redirect_to_mfa(request)
    return _token_page(request)


@step_up_required
def _token_page(request):
    form = TokenCreateForm(request.POST or None)
    created = plain = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        try:
            created, plain = services.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = TokenCreateForm()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": ApiToken.objects.filter(user=request.user),
            "created": created,
            "plain_token": plain,
            "rate": TokenRateThrottle().get_rate(),
        },
        status=201 if created else 200,
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    try:
        token = services.token_revoke(token_id=pk, actor=request.user)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, f"Token “{token.name}” revoked; calls with it now fail.")
    return redirect("api_token_list")
