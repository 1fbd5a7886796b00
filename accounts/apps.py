from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and invitations"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from allauth.mfa.signals import authenticator_added

        from .assurance import on_authenticator_added
        from .middleware import stamp_login_time

        user_logged_in.connect(stamp_login_time, dispatch_uid="accounts.stamp_login_time")
        authenticator_added.connect(on_authenticator_added, dispatch_uid="accounts.session_mfa_enrolment")
