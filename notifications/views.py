from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.contrib import messages
from django.views.decorators.http import require_http_methods, require_POST

from portal.pagination import paginate

from .forms import PreferenceForm
from .selectors import notification_list
from .services import email_preference, notification_mark_read, notification_preference_set


@login_required
def notification_index(request):
    page = paginate(request, notification_list(user=request.user))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk: int):
    """Marks one of the user's own notifications read and follows its link; another user's id is 404."""
    notification = get_object_or_404(notification_list(user=request.user), pk=pk)
    notification_mark_read(user=request.user, notification_id=notification.pk)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("notification_index")
    return redirect(target)


@login_required
@require_POST
def notification_read_all(request):
    notification_mark_read(user=request.user)
    return redirect("notification_index")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    form = PreferenceForm(request.POST or None, initial={"email": email_preference(request.user)})
    if request.method == "POST" and form.is_valid():
        notification_preference_set(user=request.user, email=form.cleaned_data["email"])
        messages.success(request, "Your e-mail preference is saved.")
        return redirect("notification_index")
    return render(request, "notifications/preferences.html", {"form": form})
