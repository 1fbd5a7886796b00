from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal.pagination import paginate

from .selectors import notification_list
from .services import notification_mark_read


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
