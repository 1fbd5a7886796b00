from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from allauth.mfa import signals as mfa_signals
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save
        from django.contrib.auth import signals as auth_signals

        from . import receivers

        auth_signals.user_logged_in.connect(receivers.on_login, dispatch_uid="audit.login")
        auth_signals.user_logged_out.connect(receivers.on_logout, dispatch_uid="audit.logout")
        auth_signals.user_login_failed.connect(receivers.on_login_failed, dispatch_uid="audit.login_failed")
        mfa_signals.authenticator_added.connect(receivers.on_authenticator_added, dispatch_uid="audit.mfa_added")
        mfa_signals.authenticator_removed.connect(receivers.on_authenticator_removed, dispatch_uid="audit.mfa_removed")
        post_save.connect(receivers.on_admin_log_entry, sender=LogEntry, dispatch_uid="audit.admin_log")
        mfa_signals.authenticator_reset.connect(receivers.on_authenticator_reset, dispatch_uid="audit.mfa_reset")
