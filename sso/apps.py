from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "Single sign-on (OIDC, Login.gov)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in
        from django.contrib.auth.signals import user_logged_in as django_user_logged_in

        from accounts.hooks import use_single_sign_on

        from .receivers import on_any_login, on_login
        from .selectors import identity_provider_for_email, sign_in_methods

        # accounts (a layer below) asks through its hooks: the login form and
        # invitations route by e-mail domain, the People page shows how each person signs in.
        use_single_sign_on(identity_provider_for_email=identity_provider_for_email, sign_in_methods=sign_in_methods)

        user_logged_in.connect(on_login, dispatch_uid="sso.session_assurance")
        django_user_logged_in.connect(on_any_login, dispatch_uid="sso.mfa_policy")
