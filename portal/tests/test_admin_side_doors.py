"""No side door for grants (issue 14, item 3): every URL of the Django admin,
enumerated from the admin site itself (so a newly registered model or view is
covered without touching this file), is driven as a program admin, and none
may change who sees what without a record.

For every registered model the test posts its change form once per field,
each field changed in turn (relations, flags, choices, dates, numbers, and the
inline forms'), deletes an object, deletes two at once through the changelist
action, and posts an existing object's data to the add form with each field
changed. Each request runs in a savepoint that is rolled back afterwards.
Whatever an admin request saved must have left audit events carrying the
values before and after (or, for a deletion, one event per object), and a
grant may change only together with its AccessChange rows and access.*
events, as the access services write them.
"""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db import transaction
from django.urls import URLPattern, URLResolver, reverse

from audit.models import AuditEvent
from reviews.models import AccessChange, Review, ReviewGroupObjectPermission, ReviewUserObjectPermission

pytestmark = pytest.mark.django_db

# The admin site's own views: the index, an app's list, the admin's own
# password (through allauth's login), JavaScript catalogues, search helpers.
SITE_VIEWS = {"index", "login", "logout", "password_change", "password_change_done", "jsi18n", "app_list", "view_on_site", "autocomplete"}
MODEL_VIEWS = ("changelist", "add", "history", "delete", "change")
# Views a ModelAdmin adds beyond the standard five: name → (model, what it is).
EXTRA_VIEWS = {
    "auth_user_password_change": ("accounts.User", "a user's password (not who sees what), posted like a change form"),
}


def _names(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _names(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry.name, prefix + str(entry.pattern)


def admin_url_names() -> dict[str, str]:
    return dict(_names(admin.site.get_urls()))


def test_every_admin_url_is_classified():
    """A view the admin gains (a new ModelAdmin's extra URL, guardian's
    object-permission pages) fails here until this test drives it."""
    known = set(SITE_VIEWS) | set(EXTRA_VIEWS)
    for model in admin.site._registry:
        known |= {f"{model._meta.app_label}_{model._meta.model_name}_{view}" for view in MODEL_VIEWS}
    unclassified = sorted(set(admin_url_names()) - known)
    assert unclassified == [], f"admin URLs this test does not drive: {unclassified}"


def test_guardian_object_permission_pages_are_gone(demo, login):
    client = login(demo["admin"])
    for path in ("permissions/", "permissions/user-manage/1/", "permissions/group-manage/1/"):
        assert client.get(f"/admin/reviews/review/{demo['atlas'].pk}/{path}").status_code in (302, 404)
    assert not [name for name in admin_url_names() if "permission" in name and name.startswith("reviews_review_")]


# --- driving forms ----------------------------------------------------------


def _widget(field):
    widget = field.widget
    return widget.widget if isinstance(widget, RelatedFieldWidgetWrapper) else widget


def _encode(widget, name, value, data):
    """Puts ``value`` into ``data`` the way a browser submits ``widget``."""
    if isinstance(widget, forms.MultiWidget):
        values = value if isinstance(value, (list, tuple)) else widget.decompress(value)
        for suffix, sub, sub_value in zip(widget.widgets_names, widget.widgets, values):
            _encode(sub, name + suffix, sub_value, data)
    elif isinstance(widget, forms.NullBooleanSelect):
        data[name] = {True: "true", False: "false"}.get(value, "unknown")
    elif isinstance(widget, forms.CheckboxInput):
        if value:
            data[name] = "on"
    elif isinstance(widget, (forms.SelectMultiple, forms.CheckboxSelectMultiple)):
        data[name] = [str(getattr(v, "pk", v)) for v in (value or [])]
    elif isinstance(widget, forms.Select):
        data[name] = "" if value in (None, "") else str(getattr(value, "pk", value))
    elif isinstance(widget, forms.FileInput):
        pass
    else:
        shown = widget.format_value(value) if value not in (None, "") else ""
        data[name] = "" if shown is None else str(getattr(shown, "pk", shown))


def _form_data(form, data, overrides=None):
    overrides = overrides or {}
    for name, field in form.fields.items():
        value = overrides[name] if name in overrides else form[name].value()
        _encode(_widget(field), form.add_prefix(name), value, data)


def _mutations(field, value):
    """Other valid values for ``field`` (relations, flags, choices, dates,
    numbers; free text cannot change who sees what)."""
    if isinstance(field, forms.NullBooleanField):
        yield False if value else True
    elif isinstance(field, forms.BooleanField):
        yield not value
    elif isinstance(field, forms.ModelMultipleChoiceField):
        current = {int(getattr(v, "pk", v)) for v in (value or [])}
        extra = field.queryset.exclude(pk__in=current).order_by("pk").first()
        if extra is not None:
            yield sorted(current | {extra.pk})
        if current:
            yield sorted(current - {min(current)})
    elif isinstance(field, forms.ModelChoiceField):
        other = field.queryset.exclude(pk=value).order_by("pk").first() if value not in (None, "") else field.queryset.order_by("pk").first()
        if other is not None:
            yield other.pk
    elif isinstance(field, forms.ChoiceField):
        flat = []
        for key, label in field.choices:
            flat.extend(k for k, _ in label) if isinstance(label, (list, tuple)) else flat.append(key)
        other = next((c for c in flat if c not in ("", None) and str(c) != str(value)), None)
        if other is not None:
            yield other
    elif isinstance(field, (forms.SplitDateTimeField, forms.DateTimeField)):
        base = value if isinstance(value, datetime.datetime) else datetime.datetime(2030, 1, 2, 3, 4, 5)
        yield base + datetime.timedelta(days=3)
    elif isinstance(field, forms.DateField):
        base = value if isinstance(value, datetime.date) else datetime.date(2030, 1, 2)
        yield base + datetime.timedelta(days=3)
    elif isinstance(field, forms.IntegerField):
        yield (int(value) if value not in (None, "") else 0) + 1


def _page_forms(response):
    """The main form and the inline formsets of an admin add/change page."""
    context = response.context
    main = context["adminform"].form if "adminform" in context else context.get("form")
    formsets = [inline.formset for inline in context.get("inline_admin_formsets", [])]
    return main, formsets


def _field_data(form, name, value) -> dict:
    data: dict = {}
    _encode(_widget(form.fields[name]), form.add_prefix(name), value, data)
    return data


def _with(data, form, name, value):
    """``data`` with ``form``'s field ``name`` submitted as ``value``."""
    changed = {k: v for k, v in data.items() if k not in _field_data(form, name, form[name].value())}
    changed.update(_field_data(form, name, value))
    return changed


def _base_data(main, formsets, *, inline_forms=True):
    data = {"_save": "Save"}
    _form_data(main, data)
    for formset in formsets:
        prefix = formset.management_form.prefix
        if not inline_forms:  # a new object: no inline rows
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
            continue
        _form_data(formset.management_form, data)
        for form in formset.forms:
            _form_data(form, data)
    return data


def _variants(main, formsets, *, inline_forms=True):
    """(label, data) for each single change of a field of the page's forms."""
    base = _base_data(main, formsets, inline_forms=inline_forms)
    for name, field in main.fields.items():
        for new in _mutations(field, main[name].value()):
            yield name, _with(base, main, name, new)
    if not inline_forms:
        return
    for formset in formsets:
        for form in formset.forms:
            for name, field in form.fields.items():
                if name == "id":
                    continue
                for new in _mutations(field, form[name].value()):
                    yield f"{formset.prefix}.{name}", _with(base, form, name, new)


# --- the record a saved request must leave ------------------------------------


def _grants():
    return set(ReviewUserObjectPermission.objects.values_list("user_id", "permission_id", "content_object_id", "expires_at")) | set(
        ReviewGroupObjectPermission.objects.values_list("group_id", "permission_id", "content_object_id", "expires_at")
    )


def _who_sees_what():
    """Flags, groups and memberships of every user, group permissions, and the grants."""
    from django.contrib.auth.models import Group

    from accounts.models import User

    users = tuple(
        (u.pk, u.is_active, u.is_staff, u.is_superuser, tuple(sorted(g.pk for g in u.groups.all())),
         tuple(sorted(p.pk for p in u.user_permissions.all())),
         (u.membership.role, u.membership.agency_id, u.membership.company_id) if hasattr(u, "membership") else None)
        for u in User.objects.select_related("membership").prefetch_related("groups", "user_permissions").order_by("pk")
    )
    groups = tuple((g.pk, tuple(sorted(p.pk for p in g.permissions.all()))) for g in Group.objects.prefetch_related("permissions"))
    return users, groups, frozenset(_grants())


class Driver:
    def __init__(self, client):
        self.client = client
        client.raise_request_exception = False  # a server error is a finding, listed with the rest
        self.problems: list[str] = []
        self.saved: list[str] = []
        self.access_changes: list[str] = []

    def post(self, label, url, data, *, watch=(), deleted=0):
        """Posts ``data`` in a savepoint rolled back afterwards. ``watch``:
        the objects whose stored fields must, when changed, appear with their
        values in the request's audit events."""
        mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        access_before = AccessChange.objects.count()
        grants_before = _grants()
        who_before = _who_sees_what()
        session_cookie = self.client.cookies.get(settings.SESSION_COOKIE_NAME).value
        rows_before = _rows(watch)
        with transaction.atomic():
            response = self.client.post(url, data)
            rows_after = _rows(watch)
            events = list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))
            grants_after = _grants()
            who_after = _who_sees_what()
            new_access_changes = AccessChange.objects.count() - access_before
            transaction.set_rollback(True)
        # A password change cycles the session key; the new session was rolled back with the rest.
        self.client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
        if response.status_code >= 500:
            self.problems.append(f"{label}: server error {response.status_code}")
            return response
        saved = response.status_code == 302 and not response["Location"].startswith(reverse("account_login"))
        if grants_before != grants_after:
            moved = len(grants_before ^ grants_after)
            if new_access_changes < moved or not any(e.action.startswith("access.") for e in events):
                self.problems.append(f"{label}: {moved} grant row(s) changed with {new_access_changes} AccessChange row(s)")
        if who_before != who_after:
            self.access_changes.append(label)
            if not events:
                self.problems.append(f"{label}: who sees what changed and no audit event was written")
        if not saved:
            return response
        self.saved.append(label)
        admin_events = [e for e in events if e.action.startswith("admin.")]
        if deleted:
            if len([e for e in admin_events if e.action == "admin.delete"]) != deleted:
                self.problems.append(f"{label}: {deleted} object(s) deleted, audit events: {[e.action for e in events]}")
        else:
            # What the request's events name: the admin's values, and the
            # fields a service recorded (membership.set: role, groups, staff…).
            recorded = {
                change for e in admin_events for entry in e.payload.get("values", []) for change in (entry.get("changes") or {})
            }
            for e in events:
                if not e.action.startswith("admin."):
                    recorded |= set(e.payload) | set(e.payload.get("before") or {}) | {e.action.split(".")[-1]}
            changed = {key[1] for key, value in rows_after.items() if rows_before.get(key) != value}
            missing = sorted(changed - recorded)
            if any(key not in rows_after for key in rows_before) and "deleted" not in recorded:
                missing.append("deleted")
            if not watch and not recorded:
                missing.append("(the new object's values)")
            if missing:
                self.problems.append(f"{label}: saved {missing} without their values in the audit trail ({[e.action for e in events]})")
        return response


def _rows(objects) -> dict:
    """``{(object, field): stored value}`` of editable concrete fields and many-to-many links."""
    state = {}
    for obj in objects:
        model = type(obj)
        row = model._default_manager.filter(pk=obj.pk).first()
        if row is None:
            continue
        for field in model._meta.concrete_fields:
            if field.editable and not field.primary_key:
                value = field.value_from_object(row)
                if isinstance(value, datetime.datetime):
                    value = value.replace(microsecond=0)  # admin forms submit whole seconds
                state[(f"{model._meta.label}:{obj.pk}", field.name)] = value
        for field in model._meta.many_to_many:
            state[(f"{model._meta.label}:{obj.pk}", field.name)] = sorted(getattr(row, field.name).values_list("pk", flat=True))
    return state


def _objects(model, n=2):
    return list(model._default_manager.order_by("-pk")[:n])


@pytest.mark.slow
def test_no_admin_url_changes_access_without_a_record(demo, login):
    """Drives every model admin's change, add, delete and bulk-delete paths."""
    from documents.tests.factories import make_document

    make_document(demo["atlas"], name="extra.txt", content=b"x\n", kind="other")  # two objects of every kind
    client = login(demo["admin"])
    driver = Driver(client)
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        objects = _objects(model)
        assert client.get(reverse(f"{info}_changelist")).status_code == 200, info
        if not objects:
            continue
        obj = objects[0]
        # The change page, each field changed in turn.
        change_url = reverse(f"{info}_change", args=[obj.pk])
        page = client.get(change_url)
        assert page.status_code == 200, change_url
        main, formsets = _page_forms(page)
        if main is not None and main.fields:
            watch = [obj, *(form.instance for formset in formsets for form in formset.forms if form.instance.pk)]
            for field, data in _variants(main, formsets):
                driver.post(f"{info} change {obj.pk} {field}", change_url, data, watch=watch)
            # The same data, changed, offered as a new object.
            add_url = reverse(f"{info}_add")
            for field, data in _variants(main, formsets, inline_forms=False):
                response = driver.post(f"{info} add (copy of {obj.pk}) {field}", add_url, data)
                if response.status_code == 302:
                    break
        # Extra views of the model (see EXTRA_VIEWS), e.g. a user's password.
        for name, (label, _) in EXTRA_VIEWS.items():
            if model._meta.label == label:
                url = reverse(f"admin:{name}", args=[obj.pk])
                extra_page = client.get(url)
                assert extra_page.status_code == 200, url
                extra_form, _ = _page_forms(extra_page)
                data = {}
                _form_data(extra_form, data)
                driver.post(f"{name} {obj.pk}", url, {k: "An0ther-long-passw0rd!" for k in data}, watch=[obj])
        # One deletion, then two at once through the changelist action.
        driver.post(f"{info} delete {obj.pk}", reverse(f"{info}_delete", args=[obj.pk]), {"post": "yes"}, deleted=1)
        if len(objects) == 2:
            driver.post(
                f"{info} delete_selected {[o.pk for o in objects]}",
                reverse(f"{info}_changelist"),
                {"action": "delete_selected", "_selected_action": [str(o.pk) for o in objects], "post": "yes"},
                deleted=2,
            )
    assert driver.problems == [], "\n".join(driver.problems)
    # The drive reached the paths that do change who sees what: a user's
    # membership and activity are edited, and each such save was recorded.
    assert any(label.startswith("admin:accounts_user change") for label in driver.access_changes), driver.access_changes
    assert len(driver.saved) > 20, driver.saved


# --- the paths that do change who sees what, one by one ------------------------


def _user_change(client, user, **changes):
    """Posts ``user``'s admin change page with ``changes`` (main form fields,
    or ``membership__<field>`` for the membership inline)."""
    url = reverse("admin:accounts_user_change", args=[user.pk])
    main, formsets = _page_forms(client.get(url))
    data = _base_data(main, formsets)
    for name, value in changes.items():
        if name.startswith("membership__"):
            form = formsets[0].forms[0]
            data = _with(data, form, name.split("__", 1)[1], value)
        else:
            data[main.add_prefix(name)] = value
    return client.post(url, data)


def test_membership_moved_in_admin_goes_through_the_services(demo, login):
    reviewer = demo["reviewer_nsa"]
    atlas = demo["atlas"]
    assert atlas.pk in set(Review.objects.visible_to(reviewer).values_list("pk", flat=True))
    client = login(demo["admin"])
    response = _user_change(client, reviewer, membership__agency=demo["cisa"].pk)
    assert response.status_code == 302
    reviewer = type(reviewer).objects.select_related("membership").get(pk=reviewer.pk)
    assert reviewer.membership.agency == demo["cisa"]
    # The NSA assignment ended, and its grant with it, recorded as the services record it.
    assert not Review.objects.visible_to(reviewer).filter(pk=atlas.pk).exists()
    assert AccessChange.objects.filter(review=atlas, user=reviewer, action="revoke", actor=demo["admin"]).exists()
    moved = AuditEvent.objects.filter(action="membership.set", target_id=str(reviewer.pk)).latest("id")
    assert moved.actor == demo["admin"]
    assert (moved.payload["before"]["agency_id"], moved.payload["agency_id"]) == (demo["nsa"].pk, demo["cisa"].pk)
    [logged] = AuditEvent.objects.filter(action="admin.change", id__gt=moved.id)
    assert {"agency": [f"NSA (#{demo['nsa'].pk})", f"CISA (#{demo['cisa'].pk})"]} in [v["changes"] for v in logged.payload["values"]]


def test_lead_made_in_admin_joins_the_leads_group(demo, login):
    reviewer = demo["reviewer_cisa"]
    response = _user_change(login(demo["admin"]), reviewer, membership__role="agency_lead")
    assert response.status_code == 302
    assert list(reviewer.groups.values_list("name", flat=True)) == [demo["cisa"].leads_group.name]
    reviewer = type(reviewer).objects.select_related("membership").get(pk=reviewer.pk)
    assert demo["atlas_mini"] in Review.objects.visible_to(reviewer)  # CISA's reviews, through the group


def test_groups_and_staff_flags_are_not_set_by_hand(demo, login):
    liaison = demo["liaison_contoso"]
    response = _user_change(
        login(demo["admin"]), liaison, groups=[str(demo["nsa"].leads_group_id)], is_staff="on", is_superuser="on"
    )
    assert response.status_code == 302  # saved: the read-only fields are ignored
    liaison.refresh_from_db()
    assert (liaison.is_staff, liaison.is_superuser) == (False, False)
    assert list(liaison.groups.values_list("pk", flat=True)) == [demo["contoso"].liaisons_group_id]


def test_deactivation_in_admin_ends_the_users_sessions(demo, login, client):
    from django.test import Client

    from conftest import give_totp

    reviewer = demo["reviewer_nsa"]
    other = Client()
    give_totp(reviewer)
    other.force_login(reviewer, backend="accounts.backends.PortalAuthenticationBackend")
    from allauth.usersessions.models import UserSession

    UserSession.objects.create(user=reviewer, session_key=other.session.session_key, ip="127.0.0.1", data={})
    admin_client = login(demo["admin"])
    assert _user_change(admin_client, reviewer, is_active="").status_code == 302
    assert other.get(reverse("dashboard")).status_code == 302  # signed out
    [event] = AuditEvent.objects.filter(action="user.deactivate", target_id=str(reviewer.pk))
    assert event.actor == demo["admin"] and event.payload["sessions_ended"] == 1
    assert _user_change(admin_client, reviewer, is_active="on").status_code == 302
    assert AuditEvent.objects.filter(action="user.reactivate", target_id=str(reviewer.pk), actor=demo["admin"]).exists()


def test_grants_assignments_and_invitations_are_read_only_in_admin(demo, login):
    client = login(demo["admin"])
    grant = ReviewUserObjectPermission.objects.filter(user=demo["reviewer_nsa"]).first()
    before = _grants()
    assert client.post(reverse("admin:reviews_reviewuserobjectpermission_add"), {}).status_code == 403
    assert client.post(reverse("admin:reviews_reviewuserobjectpermission_delete", args=[grant.pk]), {"post": "yes"}).status_code == 403
    for name in ("reviews_review", "reviews_assignment", "reviews_reviewgroupobjectpermission", "accounts_invitation", "auth_group"):
        assert client.post(reverse(f"admin:{name}_add"), {}).status_code == 403, name
    assert _grants() == before
