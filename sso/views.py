"""Sign-in through an organisation's IdP, step-up through it, and the program admins' provider pages."""

from __future__ import annotations

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from audit.services import audit_record
from portal.forms import add_service_errors

from . import selectors, services
from .forms import IdentityProviderForm, SsoStartForm
from .models import IdentityProvider, SignInPolicy


def _provider(request, idp):
    return get_social_adapter().get_provider(request, idp.slug)


def _redirect_to_idp(request, idp, process, **kwargs):
    """The redirect to the IdP, or a clear page (502) when it cannot be reached or configured."""
    import requests
    from allauth.socialaccount.providers.oauth2.client import OAuth2Error

    try:
        response = _provider(request, idp).redirect(request, process, **kwargs)
    except (requests.RequestException, OAuth2Error, ValueError, KeyError) as exc:
        audit_record(action="sso.error", actor=None, payload={"provider": idp.slug, "detail": f"{exc.__class__.__name__}: {exc}"[:500]})
        message = f"{idp.name} could not be reached, so the sign-in did not complete. Try again shortly."
        return render(request, "sso/error.html", {"message": message, "provider": idp.name}, status=502)
    if response.status_code != 302:
        return response
    # A page with a link (and a refresh) rather than a 302: the form that got here is
    # bound by the CSP's form-action 'self', which a redirect to the IdP would break.
    return render(request, "sso/continue.html", {"idp": idp, "url": response["Location"]})


@login_not_required
@require_http_methods(["GET", "POST"])
def sso_start(request):
    """"Continue with your organisation": routes by the e-mail's domain to its IdP."""
    form = SsoStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        idp = selectors.identity_provider_for_email(form.cleaned_data["email"])
        if idp is None:
            form.add_error(
                "email",
                "Your organisation does not sign in through its own identity provider here: "
                "use your e-mail address and password below.",
            )
        else:
            audit_record(action="sso.start", actor=None, actor_label=form.cleaned_data["email"][:254], payload={"provider": idp.slug})
            next_url = request.POST.get("next") or ""
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
                next_url = ""
            return _redirect_to_idp(request, idp, AuthProcess.LOGIN, next_url=next_url or None)
    return render(request, "sso/start.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def sso_step_up(request, slug: str):
    """Sends a user bound to this IdP to sign in there again (prompt=login, max_age=0)."""
    from allauth.socialaccount.models import SocialAccount

    if not SocialAccount.objects.filter(user=request.user, provider=slug).exists():
        raise Http404
    idp = get_object_or_404(IdentityProvider, slug=slug, enabled=True)
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    if request.method == "GET":
        return render(request, "sso/step_up.html", {"idp": idp, "next": next_url})
    auth_params = _provider(request, idp).get_auth_params()
    auth_params.update({"prompt": "login", "max_age": "0"})
    return _redirect_to_idp(request, idp, AuthProcess.REDIRECT, next_url=next_url, auth_params=auth_params)


def _admin_only(request):
    if not request.user.is_program_admin:
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def provider_list(request):
    """Program admins: every organisation's identity providers and MFA policy."""
    _admin_only(request)
    from agencies.models import Agency
    from companies.models import Company

    if request.method == "POST":
        kind, _, pk = request.POST.get("organisation", "").partition(":")
        if kind not in ("agency", "company") or not pk.isdigit():
            raise Http404
        services.sign_in_policy_set(
            actor=request.user,
            agency_id=int(pk) if kind == "agency" else None,
            company_id=int(pk) if kind == "company" else None,
            require_phishing_resistant_mfa=request.POST.get("require_phishing_resistant_mfa") == "on",
        )
        messages.success(request, "Sign-in policy saved; it applies from each member's next sign-in.")
        return redirect("sso_provider_list")
    policies = {(p.agency_id, p.company_id): p.require_phishing_resistant_mfa for p in SignInPolicy.objects.all()}
    organisations = [(f"agency:{a.pk}", a.acronym, policies.get((a.pk, None), False)) for a in Agency.objects.order_by("acronym")]
    organisations += [(f"company:{c.pk}", c.name, policies.get((None, c.pk), False)) for c in Company.objects.order_by("name")]
    return render(
        request,
        "sso/provider_list.html",
        {"providers": selectors.identity_provider_list(user=request.user), "organisations": organisations},
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_edit(request, pk: int | None = None):
    _admin_only(request)
    idp = get_object_or_404(IdentityProvider, pk=pk) if pk else None
    form = IdentityProviderForm(request.POST or None, idp=idp)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.identity_provider_save(actor=request.user, idp=idp, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Identity provider “{saved.name}” saved.")
            return redirect("sso_provider_list")
    callback = request.build_absolute_uri(f"/accounts/sso/{idp.slug}/login/callback/") if idp else None
    return render(request, "sso/provider_form.html", {"form": form, "idp": idp, "callback": callback}, status=400 if form.errors else 200)
