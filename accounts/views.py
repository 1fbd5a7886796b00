from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from portal.errors import Refused
from portal.forms import add_service_errors, show_refusal

from . import services
from .forms import InvitationAcceptForm, InvitationForm, KeyboardShortcutsForm, TimeZoneForm
from .permissions import invitable_roles
from .selectors import (
    invitation_for_management,
    invitation_list,
    invitations_outstanding,
    invitations_with_management,
    people_list,
    person_for_management,
    sso_for_invitation,
)


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
        {"form": form, "invitations": invitations_with_management(user=request.user, invitations=invitation_list(user=request.user)[:50])},
    )


def _may_see_people(user) -> bool:
    return user.is_program_admin or user.is_agency_lead or user.is_company_liaison


@login_required
def people_index(request):
    """The people of the viewer's scope with their role, organisation, last
    sign-in, sign-in method and status, and the invitations not yet used;
    buttons for what the viewer may do to each (accounts.permissions)."""
    if not _may_see_people(request.user):
        raise Http404
    return render(
        request,
        "accounts/people.html",
        {
            "people": people_list(user=request.user),
            "invited": invitations_outstanding(user=request.user),
            "may_invite": bool(invitable_roles(inviter=request.user)),
        },
    )


def _back(request):
    """Back where the button was (the people page unless the form says another page of this site)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("people_list")


@login_required
@require_POST
def person_deactivate(request, pk: int):
    person = person_for_management(user=request.user, pk=pk)
    if person is None:
        raise Http404
    try:
        services.user_deactivate(user=person, actor=request.user)
    except Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, f"{person.get_full_name()}'s account is deactivated; their sessions have ended.")
    return _back(request)


@login_required
@require_POST
def person_reactivate(request, pk: int):
    person = person_for_management(user=request.user, pk=pk)
    if person is None:
        raise Http404
    try:
        services.user_reactivate(user=person, actor=request.user)
    except Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, f"{person.get_full_name()} can sign in again.")
    return _back(request)


@login_required
@require_POST
def invitation_resend(request, pk: int):
    invitation = invitation_for_management(user=request.user, pk=pk)
    if invitation is None:
        raise Http404
    try:
        invitation, _ = services.invitation_resend(invitation_id=invitation.pk, actor=request.user)
    except Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(
            request,
            f"Invitation sent again to {invitation.email}; the earlier link no longer works and the new one works once, "
            f"until {timezone.localtime(invitation.expires_at):%B %-d, %Y %H:%M %Z}.",
        )
    return _back(request)


@login_required
@require_POST
def invitation_revoke(request, pk: int):
    invitation = invitation_for_management(user=request.user, pk=pk)
    if invitation is None:
        raise Http404
    try:
        invitation = services.invitation_revoke(invitation_id=invitation.pk, actor=request.user)
    except Refused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, f"Invitation for {invitation.email} withdrawn; its link no longer works.")
    return _back(request)


@login_required
@require_http_methods(["GET", "POST"])
def time_zone_edit(request):
    """The signed-in user's own time zone: every page, e-mail and reminder shows times in it."""
    form = TimeZoneForm(request.POST or None, initial={"time_zone": str(request.user.time_zone)})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        except Refused as exc:
            show_refusal(request, exc, form)
        else:
            messages.success(request, f"Times are now shown in {form.cleaned_data['time_zone']}.")
            return redirect("account_time_zone")
    status = 400 if form.errors else 200
    return render(request, "accounts/time_zone.html", {"form": form, "now": timezone.now()}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def keyboard_shortcuts_edit(request):
    """The signed-in user's own keyboard shortcuts: on or off."""
    # Bound on every POST: an unticked box sends nothing, and "nothing" is its answer.
    form = KeyboardShortcutsForm(request.POST if request.method == "POST" else None,
                                 initial={"keyboard_shortcuts": request.user.keyboard_shortcuts})
    if request.method == "POST" and form.is_valid():
        enabled = form.cleaned_data["keyboard_shortcuts"]
        services.user_keyboard_shortcuts_set(user=request.user, enabled=enabled)
        messages.success(request, "Single-key shortcuts are on." if enabled else "Single-key shortcuts are off.")
        return redirect("account_keyboard")
    return render(request, "accounts/keyboard.html", {"form": form})
