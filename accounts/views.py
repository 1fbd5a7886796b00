from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal.forms import add_service_errors

from . import services
from .forms import InvitationAcceptForm, InvitationForm
from .permissions import invitable_roles
from .selectors import invitation_list, people_list, sso_for_invitation


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    try:
        invitation = services.invitation_for_token(token=token)
    except services.InvitationError as exc:
        return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
    if request.user.is_authenticated:
        messages.info(request, "Sign out first to accept an invitation for another account.")
        return redirect("dashboard")
    idp = sso_for_invitation(invitation)
    if idp is not None:
        # The organisation signs in through its IdP: no password account is made here;
        # the first sign-in there uses this invitation (sso.services.sso_sign_in).
        return render(request, "accounts/invitation_sso.html", {"invitation": invitation, "idp": idp})
    form = InvitationAcceptForm(request.POST or None, email=invitation.email, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            )
        except services.InvitationError as exc:
            return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
        login(request, user, backend="accounts.backends.PortalAuthenticationBackend")
        # allauth lists a session only when its own login flow ran; record this one too.
        UserSession.objects.create_from_request(request)
        messages.success(request, "Welcome. Set up two-factor authentication to finish creating your account.")
        return redirect("dashboard")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})


@login_required
@require_http_methods(["GET", "POST"])
def invitation_create(request):
    if not invitable_roles(inviter=request.user):
        raise Http404
    form = InvitationForm(request.POST or None, inviter=request.user)
    if request.method == "POST" and form.is_valid():
        agency_id, company_id = form.organisation_ids()
        try:
            invitation, _ = services.invitation_create(
                inviter=request.user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                agency_id=agency_id,
                company_id=company_id,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email}; the link works once, until "
                f"{timezone.localtime(invitation.expires_at):%B %-d, %Y %H:%M %Z}.",
            )
            return redirect("invitation_create")
    return render(
        request,
        "accounts/invitations.html",
        {"form": form, "invitations": invitation_list(user=request.user)[:50], "people": people_list(user=request.user)},
    )
