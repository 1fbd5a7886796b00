from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path


# The admin login goes through allauth (and so through MFA), never around it.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include("dashboard.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("sso.account_urls")),
    path("accounts/", include("accounts.account_urls")),
    path("accounts/", include("allauth.urls")),
    path("people/", include("sso.people_urls")),
    path("people/", include("accounts.urls")),
    path("people/", include("api.web_urls")),
    path("api/", include("api.urls")),
    path("", include("companies.urls")),
    path("", include("reviews.urls")),
    path("", include("documents.urls")),
    path("", include("notifications.urls")),
    path("", include("audit.urls")),
    path("", include("rfis.urls")),
    path("", include("findings.urls")),
    path("", include("readiness.urls")),
    path("", include("modelaccess.urls")),
    path("", include("exports.urls")),
    path("", include("search.urls")),
]


def csrf_failure(request, reason=""):
    """Django's CSRF refusal (the portal's 403_csrf.html), marked for a part of
    a page that htmx sent (``Portal-Error: csrf``): its message is then "this
    page is out of date", not "no longer available to you" (static/js/portal.js)."""
    from django.views.csrf import csrf_failure as django_csrf_failure

    response = django_csrf_failure(request, reason=reason)
    response["Portal-Error"] = "csrf"
    return response


def handler404(request, exception):
    """API paths answer 404 with the API's error body; pages keep the portal's 404 page."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        # The API's error body (api.exceptions), written here so the project's URLconf imports no app.
        return JsonResponse({"errors": [{"field": None, "code": "not_found", "message": "Not found."}]}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    """A JSON client (the API, the upload script) gets a JSON 500, never the HTML error page.

    An outage of the database or the shared cache raised outside a view (in a
    middleware: the session, the user) is a 503 "try again shortly", as the
    OutageMiddleware answers it for views; a statement stopped there is the
    503 "took too long" of the StatementTimeoutMiddleware."""
    import sys

    from .middleware import drain_body, outage_of, service_unavailable, stopped_statement, took_too_long, wants_json

    if outage_of(sys.exc_info()[1]) is not None:
        return service_unavailable(request)
    if stopped_statement(sys.exc_info()[1]):
        return took_too_long(request)
    drain_body(request)  # an upload cut short still gets this answer, not a reset
    if wants_json(request):
        from django.http import JsonResponse

        message = "The portal could not complete this request. Try again shortly."
        return JsonResponse({"errors": [{"field": None, "code": "server_error", "message": message}]}, status=500)
    from django.views.defaults import server_error

    return server_error(request)
