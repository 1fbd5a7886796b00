"""Token death follows credential changes on every path that makes them.

Passwords are set by allauth (change, reset), the Django admin, ``manage.py
changepassword`` and services; authenticators are removed by their owner
through allauth or by a program admin (an MFA reset) in the admin;
deactivation happens in a service or the admin. Rather than trust each path
to remember, the rows themselves are watched: these receivers only detect
the change and call the one service, ``api.services.tokens_revoke_all``, in
the same transaction as the change.
"""

from __future__ import annotations

from .services import RevokeReason, tokens_revoke_all


def on_user_pre_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    fields = set(update_fields) if update_fields is not None else None
    # ``set_password`` keeps the raw password on the instance until the save; a
    # hasher upgrade at login clears it first, so it does not count as a change.
    if getattr(instance, "_password", None) is not None and (fields is None or "password" in fields):
        tokens_revoke_all(user_id=instance.pk, reason=RevokeReason.PASSWORD_CHANGED)
    if not instance.is_active and (fields is None or "is_active" in fields):
        tokens_revoke_all(user_id=instance.pk, reason=RevokeReason.DEACTIVATED)


def on_authenticator_deleted(sender, instance, **kwargs) -> None:
    tokens_revoke_all(user_id=instance.user_id, reason=RevokeReason.MFA_RESET)
