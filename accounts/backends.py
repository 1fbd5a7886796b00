from allauth.account.auth_backends import AuthenticationBackend


class PortalAuthenticationBackend(AuthenticationBackend):
    """allauth's backend, loading the membership with the user.

    Every page asks the user's role; loading it here costs one join instead
    of a query per page. Inactive users get ``None`` (ModelBackend's rule),
    which is what ends a deactivated user's sessions on their next request.
    """

    def get_user(self, user_id):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        try:
            user = User._default_manager.select_related("membership__agency", "membership__company").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
