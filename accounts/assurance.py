"""How strongly *this session* is authenticated: the one rule for "MFA-verified".

MFA is a property of the session, not of the account. A session counts as
MFA-verified only when that session itself completed a second-factor step:

* a code (TOTP, recovery code) or a security key / passkey at sign-in, or a
  reauthentication with one of them — allauth records each such step in the
  session as an ``{"method": "mfa", …}`` authentication record;
* enrolling an authenticator in this session (``record_session_mfa`` is called
  from allauth's ``authenticator_added`` signal with this request);
* later: an identity provider trusted for MFA asserting it (``amr``/``acr``).

An account that merely *has* an authenticator proves nothing about a session
that signed in with a password before it was enrolled, or elsewhere.

``session_mfa_verified`` is what the web middleware, the API's session
authentication and the token-creation page ask; nothing else decides it.
"""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records

# The portal's own record of a second factor completed in this session (enrolment,
# a trusted IdP); allauth's records cover codes and keys used at sign-in.
SESSION_KEY = "_portal_session_mfa"
# Set at sign-in (sso.receivers) for members of an organisation that requires
# phishing-resistant MFA: then only the methods below verify the session.
PHISHING_RESISTANT_REQUIRED = "_portal_mfa_phishing_resistant"
# Methods an organisation requiring phishing-resistant MFA accepts.
PHISHING_RESISTANT = frozenset({"webauthn", "idp_phishing_resistant"})


def _user(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def session_mfa_steps(request, user=None) -> list[dict]:
    """Every second-factor step this session completed for ``user`` (oldest first).

    Each step is ``{"method": "totp" | "recovery_codes" | "webauthn" | "idp" | …,
    "at": epoch seconds, "how": "login" | "reauthentication" | "enrolment" | "idp"}``.
    """
    user = user or _user(request)
    if user is None or getattr(request, "session", None) is None:
        return []
    steps = []
    for record in get_authentication_records(request, user):
        if record.get("method") == "mfa":
            steps.append(
                {
                    "method": record.get("type", "mfa"),
                    "at": record.get("at", 0),
                    "how": "reauthentication" if record.get("reauthenticated") else "login",
                }
            )
    own = request.session.get(SESSION_KEY)
    if isinstance(own, dict) and own.get("user") == user.pk:
        steps.extend(step for step in own.get("steps", []) if isinstance(step, dict))
    return sorted(steps, key=lambda step: step.get("at", 0))


def session_mfa_verified(request, user=None, *, phishing_resistant: bool = False) -> bool:
    """Whether this session completed an MFA step for its user (see the module docstring).

    With ``phishing_resistant`` — asked, or required by the user's organisation
    (recorded on the session at sign-in) — only a security key / passkey or an
    IdP asserting phishing-resistant authentication counts; TOTP and recovery
    codes do not.
    """
    user = user or _user(request)
    steps = session_mfa_steps(request, user)
    if user is not None and request.session.get(PHISHING_RESISTANT_REQUIRED) == user.pk:
        phishing_resistant = True
    if phishing_resistant:
        return any(step.get("method") in PHISHING_RESISTANT for step in steps)
    return bool(steps)


def record_session_mfa(request, user, *, method: str, how: str, **facts) -> None:
    """Records in the session that it completed a second-factor step for ``user``.

    Called when an authenticator is enrolled in this session and when a trusted
    IdP asserted MFA; a different user signing in on the same browser starts a
    fresh session (Django flushes it), so the record never carries over.
    """
    own = request.session.get(SESSION_KEY)
    if not (isinstance(own, dict) and own.get("user") == user.pk):
        own = {"user": user.pk, "steps": []}
    own["steps"] = [*own["steps"], {"method": method, "how": how, "at": time.time(), **facts}]
    request.session[SESSION_KEY] = own


def on_authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    """Enrolment done in this session verifies this session (and only this one)."""
    if request is not None and _user(request) is not None and request.user.pk == user.pk:
        record_session_mfa(request, user, method=authenticator.type, how="enrolment")
