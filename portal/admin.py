from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404


class PortalAdminSite(admin.AdminSite):
    """The Django admin, for program admins only.

    Anyone else who is signed in gets 404 on every admin URL (as on any page
    outside their scope) instead of a redirect to the admin login; the login
    itself goes through allauth and MFA (portal.urls).
    """

    site_header = "Frontier Review Portal administration"
    site_title = "Frontier Review Portal admin"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            user = request.user
            if user.is_authenticated and not (user.is_active and user.is_staff):
                raise Http404
            return inner(request, *args, **kwargs)

        wrapper.__wrapped__ = inner
        wrapper.admin_site = self
        return wrapper


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin.PortalAdminSite"
