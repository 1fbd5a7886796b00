from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on (OIDC, Login.gov)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in
        from django.contrib.auth.signals import user_logged_in as django_user_logged_in

        from .receivers import on_any_login, on_login

        user_logged_in.connect(on_login, dispatch_uid="sso.session_assurance")
        django_user_logged_in.connect(on_any_login, dispatch_uid="sso.mfa_policy")
