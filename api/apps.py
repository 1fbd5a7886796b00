from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from allauth.mfa.models import Authenticator
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, pre_save

        from . import receivers
        from . import schema  # noqa: F401  (registers the authentication schemes with drf-spectacular)

        pre_save.connect(receivers.on_user_pre_save, sender=get_user_model(), dispatch_uid="api.tokens.user_pre_save")
        post_delete.connect(receivers.on_authenticator_deleted, sender=Authenticator, dispatch_uid="api.tokens.mfa_reset")
