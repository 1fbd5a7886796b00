"""Writes for API tokens: create (shown once), revoke, and the cheap "last used" stamp."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record

from .models import ApiToken

TOKEN_PREFIX = "frp_"
# At most this many active tokens per user: a token is a standing credential.
MAX_ACTIVE_TOKENS = 10
# ``last_used_at`` is written at most once per this interval per token.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def split_token(token: str) -> str | None:
    """The lookup prefix of a well-formed token, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = token[len(TOKEN_PREFIX):].partition("_")
    if not sep or len(prefix) != 12 or len(secret) < 32:
        return None
    return prefix


@transaction.atomic
def token_create(*, user, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Creates a personal API token for ``user``; returns (row, plain token).

    The plain token is returned once and never stored: only its SHA-256. The
    token carries exactly the user's own scope. Side effect: audit
    ``api_token.create``. Refuses an expiry in the past, an empty name and
    more than MAX_ACTIVE_TOKENS active tokens.
    """
    if not (user.is_active and getattr(user, "membership", None)):
        raise PermissionDenied("Only active members of the portal create API tokens.")
    now = timezone.now()
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Name the token after what will use it."
    if expires_at is not None and expires_at <= now:
        errors["expires_at"] = "The expiry must be in the future."
    if ApiToken.objects.filter(user=user).active(now).count() >= MAX_ACTIVE_TOKENS:
        errors["name"] = f"You already have {MAX_ACTIVE_TOKENS} active tokens; revoke one first."
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(6)
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(user=user, name=name.strip(), prefix=prefix, token_hash=token_digest(plain), created_at=now, expires_at=expires_at)
    token.full_clean()
    token.save()
    audit_record(
        action="api_token.create", actor=user, target=token, payload={"prefix": prefix, "name": token.name, "expires_at": expires_at}
    )
    return token, plain


@transaction.atomic
def token_revoke(*, token_id: int, actor) -> ApiToken:
    """Revokes one of the actor's own tokens (idempotent). Side effect: audit ``api_token.revoke``."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
    if token is None:
        raise PermissionDenied("Not your token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_reason = "by its owner"
        token.full_clean()
        token.save(update_fields=["revoked_at", "revoked_reason"])
        audit_record(action="api_token.revoke", actor=actor, target=token, payload={"prefix": token.prefix})
    return token


class RevokeReason:
    PASSWORD_CHANGED = "password changed"
    MFA_RESET = "two-factor authentication reset"
    DEACTIVATED = "account deactivated"


@transaction.atomic
def tokens_revoke_all(*, user_id: int, reason: str) -> int:
    """Revokes every active token of a user whose credentials changed; returns how many.

    Called (api.receivers) whenever the user's password is set by any path
    (allauth change/reset, the Django admin, ``changepassword``), an
    authenticator of theirs is removed (their own removal or an admin's MFA
    reset), or the account is deactivated: a token minted under the old
    credentials must not outlive them. Side effect: one audit event
    ``api_token.revoke_all`` with the reason and the prefixes, when any was active.
    """
    now = timezone.now()
    tokens = list(ApiToken.objects.select_for_update().filter(user_id=user_id).active(now))
    if not tokens:
        return 0
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now, revoked_reason=reason)
    from django.contrib.auth import get_user_model

    audit_record(
        action="api_token.revoke_all",
        target=get_user_model().objects.filter(pk=user_id).first(),
        payload={"reason": reason, "prefixes": [t.prefix for t in tokens]},
    )
    return len(tokens)


def token_touch(*, token: ApiToken) -> None:
    """Stamps ``last_used_at``, at most once a minute (one conditional UPDATE, no audit event)."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(last_used_at=now)
    token.last_used_at = now
