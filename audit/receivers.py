"""Authentication events come from Django's and allauth's signals: there is no
portal service in the middle of a login, so the receivers are where they are
recorded. Domain changes are recorded by their services, never here."""

from audit.services import audit_record


def on_login(sender, request, user, **kwargs):
    audit_record(action="auth.login", actor=user, target=user)


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="auth.logout", actor=user, target=user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    attempted = credentials.get("email") or credentials.get("username") or credentials.get("login") or ""
    audit_record(action="auth.login_failed", actor=None, actor_label=str(attempted)[:254], payload={"login": str(attempted)[:254]})


def on_authenticator_added(sender, request, user, authenticator, **kwargs):
    audit_record(action="mfa.added", actor=user, target=user, payload={"type": authenticator.type})


def on_authenticator_removed(sender, request, user, authenticator, **kwargs):
    audit_record(action="mfa.removed", actor=user, target=user, payload={"type": authenticator.type})


def on_authenticator_reset(sender, request, user, authenticator, **kwargs):
    audit_record(action="mfa.reset", actor=user, target=user, payload={"type": authenticator.type})


def _admin_values(change_message: str) -> list:
    """The fields' values before and after (and what a deletion took along)
    that portal.admin.AuditedAdminMixin puts in a log entry's message."""
    import json

    try:
        parsed = json.loads(change_message or "[]")
    except ValueError:
        return []
    if not isinstance(parsed, list):
        return []
    return [entry["values"] for entry in parsed if isinstance(entry, dict) and "values" in entry]


def on_admin_log_entry(sender, instance, created, **kwargs):
    """Django admin changes (rules, catalogues, users) are recorded as they are
    logged: the admin writes its LogEntry in the same transaction as the change,
    one per object (portal.admin logs bulk deletions one by one), with the
    values before and after."""
    if not created:
        return
    audit_record(
        action={1: "admin.add", 2: "admin.change", 3: "admin.delete"}.get(instance.action_flag, "admin.change"),
        actor=instance.user,
        payload={
            "model": f"{instance.content_type.app_label}.{instance.content_type.model}" if instance.content_type_id else "",
            "object_id": str(instance.object_id),
            "object": instance.object_repr,
            "change": instance.get_change_message(),
            "values": _admin_values(instance.change_message),
        },
    )
