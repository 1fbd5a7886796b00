import re

from django import forms
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404
from django.utils.text import capfirst

from portal.forms import SingleLineValidator

# Values never copied into the audit trail, by field name (password hashes,
# TOTP secrets in an authenticator's data, token hashes, keys).
SECRET_FIELD = re.compile(r"password|secret|token|hash|key|^data$", re.IGNORECASE)


def _shown(field, value):
    """A form value as the audit trail records it: related objects by name and
    id, lists sorted, long texts cut."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        objects = value if value is not None else []
        if objects and not hasattr(next(iter(objects)), "pk"):
            objects = field.queryset.filter(pk__in=list(objects))
        return sorted(f"{obj} (#{obj.pk})" for obj in objects)
    if isinstance(field, forms.ModelChoiceField):
        if value in (None, ""):
            return None
        obj = value if hasattr(value, "pk") else field.queryset.filter(pk=value).first()
        return f"{obj} (#{obj.pk})" if obj is not None else str(value)
    if value in (None, ""):
        return None
    if isinstance(value, (list, tuple)):
        return [str(v)[:300] for v in value]
    return str(value)[:300]


def form_changes(form) -> dict:
    """``{field: [before, after]}`` for each field ``form`` changed (secrets as "(hidden)")."""
    changes = {}
    for name in form.changed_data:
        field = form.fields.get(name)
        if field is None and not SECRET_FIELD.search(name):
            continue
        if SECRET_FIELD.search(name) or isinstance(field.widget, forms.PasswordInput):
            # A new password comes in password1/password2: recorded as the one field it sets.
            changes["password" if "password" in name else name] = ["(hidden)", "(hidden)"]
            continue
        before = _shown(field, form[name].initial)
        after = _shown(field, form.cleaned_data.get(name))
        changes[name] = [before, after]
    return changes


def one_line_fields(form_class):
    """Gives every one-line text field of ``form_class`` (a TextInput, not a
    Textarea) the single-line validator, naming the field: declared fields of
    third-party admin forms included. Idempotent."""
    for name, field in form_class.base_fields.items():
        if (
            isinstance(field, forms.CharField)
            and not isinstance(field.widget, (forms.Textarea, forms.PasswordInput, forms.HiddenInput))
            and not any(isinstance(v, SingleLineValidator) for v in field.validators)
        ):
            field.validators.append(SingleLineValidator(capfirst(str(field.label or name.replace("_", " ")))))
    return form_class


class AuditedAdminMixin:
    """What every model admin of the portal does, mixed in by
    ``PortalAdminSite.register`` (third-party admins included), so that a
    newly registered model needs nothing to be covered:

    * every save writes the fields' values before and after into the admin
      log entry (``{"values": …}`` beside Django's own message), which
      audit.receivers copies into the audit event, in the same transaction;
    * a bulk deletion logs each object on its own (Django writes one bulk
      insert for several, which no receiver sees), with what the deletion
      takes along;
    * a one-line text field of its forms (and its inlines' forms) refuses
      line breaks, naming the field.

    Who-sees-what is not edited here: grants, assignments, reviews, groups,
    staff flags and invitations are read-only in their admins, and a change of
    membership or of ``is_active`` goes through the accounts services.
    """

    def get_form(self, request, obj=None, **kwargs):
        return one_line_fields(super().get_form(request, obj, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            one_line_fields(formset.form)
            yield formset, inline

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        changes = form_changes(form)
        if changes:
            subject = getattr(form, "instance", None) or getattr(form, "user", None)
            message.append({"values": {"object": str(subject)[:200], "changes": changes}})
        for formset in formsets or []:
            for inline_form in formset.forms:
                if not inline_form.has_changed() or not hasattr(inline_form, "cleaned_data"):
                    continue
                deleted = inline_form in formset.deleted_forms
                message.append(
                    {
                        "values": {
                            "object": str(inline_form.instance)[:200],
                            "model": inline_form.instance._meta.label_lower,
                            "changes": {"deleted": [False, True]} if deleted else form_changes(inline_form),
                        }
                    }
                )
        return message

    def log_deletions(self, request, queryset):
        from django.contrib.admin.models import DELETION, LogEntry
        from django.contrib.admin.utils import NestedObjects
        from django.db import router

        entries = []
        for obj in queryset:
            collector = NestedObjects(using=router.db_for_write(type(obj)))
            collector.collect([obj])
            taken = {
                model._meta.label_lower: len(objs)
                for model, objs in collector.model_objs.items()
                if model is not type(obj) and objs
            }
            message = [{"values": {"object": str(obj)[:200], "deleted_with": taken}}] if taken else ""
            entries.append(
                LogEntry.objects.log_actions(
                    user_id=request.user.pk, queryset=[obj], action_flag=DELETION, change_message=message, single_object=True
                )
            )
        return entries


class PortalAdminSite(admin.AdminSite):
    """The Django admin, for program admins only.

    Anyone else who is signed in gets 404 on every admin URL (as on any page
    outside their scope) instead of a redirect to the admin login; the login
    itself goes through allauth and MFA (portal.urls). Every registered admin
    gets ``AuditedAdminMixin``.
    """

    site_header = "Frontier Review Portal administration"
    site_title = "Frontier Review Portal admin"

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(admin_class.__name__, (AuditedAdminMixin, admin_class), {"__module__": admin_class.__module__})
        return super().register(model_or_iterable, admin_class, **options)

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
    """The admin site, and the project's one app config: what every
    connection is set up with is connected here (``portal.db``)."""

    default_site = "portal.admin.PortalAdminSite"

    def ready(self):
        super().ready()
        from django.db.backends.signals import connection_created

        from .db import fast_utc_timestamps

        connection_created.connect(fast_utc_timestamps, dispatch_uid="portal.db.fast_utc_timestamps")



class ViewOnlyAdmin(admin.ModelAdmin):
    """An admin that shows rows and changes none: for what only a service may
    write (grants, assignments, reviews, transitions, invitations, groups;
    documents, versions and access records, which are evidence; API tokens;
    saved searches, which only their owner changes), so that each change
    keeps its record (AccessChange, audit event, reach rows)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyInline:
    """The same, for an inline."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
