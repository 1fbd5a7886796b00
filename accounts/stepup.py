"""Step-up authentication for sensitive acts: the one decorator every such view uses.

Creating an API token, granting or revoking access (to a review, or a
model-access credential), sharing a finding with the company, downloading a
document marked view-only or stricter and revealing any secret need a
*recent* authentication of this session: a sign-in or reauthentication no
older than ``PORTAL_STEP_UP_MINUTES`` (≤ 15). Otherwise the request is
suspended (a POST is replayed afterwards, through allauth) and the person
is sent to prove themselves again:

* through their identity provider, with ``prompt=login&max_age=0``, when
  their account is bound to one (sso.views.step_up);
* otherwise through allauth's reauthentication, a second factor first.

The round trip through an identity provider cannot carry a POST: the person
comes back to the page they acted from (its same-site Referer) and acts again.

Usage::

    from accounts.stepup import step_up_required

    @login_required
    @step_up_required            # unsafe methods only (POST …)
    def token_list(request): …

    @step_up_required(methods=None)   # every method, e.g. a download or a reveal
    def credentials_reveal(request, pk): …

    @step_up_required(replay=False, then=lambda request, pk: reverse("review_model_access", kwargs={"pk": pk}))
    def credential_issue(request, pk): …   # a POST carrying a secret or a file

A suspended POST is kept in the session until it is replayed, so a form that
carries a secret (or a file, which cannot be kept) is not suspended:
``replay=False`` drops it and sends the person, once authenticated, to
``then(request, *args, **kwargs)`` to enter it again.

``recently_authenticated(request)`` answers the same question for code that
cannot be a decorated view (an API action answers 403 ``step_up_required``).
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def recently_authenticated(request, *, minutes: int | None = None) -> bool:
    """Whether this session's user authenticated (signed in or stepped up) within the window."""
    from allauth.account.authentication import get_authentication_records

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    window = 60 * (minutes or settings.PORTAL_STEP_UP_MINUTES)
    now = time.time()
    return any(
        now - float(record.get("at", 0)) < window
        for record in get_authentication_records(request, user)
        if record.get("method") in ("password", "mfa", "socialaccount")
    )


def _referring_page(request) -> str | None:
    """The same-site page a form was sent from (its path and query), if any."""
    from urllib.parse import urlsplit

    from django.utils.http import url_has_allowed_host_and_scheme

    referer = request.headers.get("Referer", "")
    if not referer or not url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return None
    parts = urlsplit(referer)
    return parts.path + (f"?{parts.query}" if parts.query else "") or None


def step_up_redirect(request, *, replay: bool = True, then: str | None = None):
    """Sends the user to authenticate again (IdP or allauth): afterwards the
    request is replayed, or (``replay=False``) they land on ``then`` with
    nothing of the request kept."""
    from allauth.account.adapter import get_adapter
    from allauth.account.internal.flows.reauthentication import suspend_request
    from allauth.socialaccount.models import SocialAccount

    from django.contrib import messages

    binding = SocialAccount.objects.filter(user=request.user).values_list("provider", flat=True).first()
    if not replay:
        messages.info(request, "Confirm it is you, then enter it again: nothing you sent was kept.")
    if binding:
        # The round trip through the identity provider cannot carry a POST: the
        # person comes back to the page they acted from and acts again. (Its own
        # URL ends on a 405 for POST-only views; browsers send the Referer under
        # the portal's same-origin policy, and without one the URL is all there is.)
        if not replay:
            target = then
        elif request.method in UNSAFE:
            target = _referring_page(request) or request.get_full_path()
            messages.info(request, "Confirm it is you at your identity provider, then do it again: it was not done yet.")
        else:
            target = request.get_full_path()
        query = urlencode({"next": target})
        return HttpResponseRedirect(f"{reverse('sso_step_up', kwargs={'slug': binding})}?{query}")
    methods = get_adapter(request).get_reauthentication_methods(request.user)
    if not methods:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("This act needs a recent sign-in, and no way to confirm it is you is set up.")
    if not replay:
        return HttpResponseRedirect(f"{methods[0]['url']}?{urlencode({'next': then})}")
    return suspend_request(request, methods[0]["url"])


def step_up_required(view=None, *, methods: tuple[str, ...] | None = UNSAFE, replay: bool = True, then=None):
    """Decorator: the view runs only after a recent authentication (see the module docstring).

    ``methods``: the HTTP methods that need it (default: unsafe ones; None: all).
    ``replay=False`` with ``then(request, *args, **kwargs)``: the request is
    not kept; the person lands on that URL afterwards.
    """
    if not replay and then is None:
        raise TypeError("step_up_required(replay=False) needs then=: where to land afterwards")

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if (methods is None or request.method in methods) and not recently_authenticated(request):
                if not replay:
                    return step_up_redirect(request, replay=False, then=then(request, *args, **kwargs))
                return step_up_redirect(request)
            return func(request, *args, **kwargs)

        wrapper.step_up_required = True
        return wrapper

    return decorate(view) if view is not None else decorate
