"""Single-key shortcuts ("/" to the search box): on for everyone until they
turn them off on their own Keyboard shortcuts page (WCAG 2.1.4), which every
page then follows. The browser side: journeys/tests/test_journeys.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ON = ("data-shortcuts", 'aria-keyshortcuts="/"')


def _shortcut_marks(client) -> list[bool]:
    page = client.get(reverse("dashboard")).content.decode()
    return [mark in page for mark in ON]


def test_shortcuts_are_on_until_turned_off_and_the_setting_is_the_users_own(demo, login):
    client = login(demo["reviewer_nsa"])
    assert _shortcut_marks(client) == [True, True]
    page = client.get(reverse("account_keyboard")).content.decode()
    assert 'name="keyboard_shortcuts"' in page and "checked" in page

    response = client.post(reverse("account_keyboard"), {})  # the box unticked
    assert response.status_code == 302 and response["Location"] == reverse("account_keyboard")
    assert User.objects.get(pk=demo["reviewer_nsa"].pk).keyboard_shortcuts is False
    assert User.objects.get(pk=demo["lead_nsa"].pk).keyboard_shortcuts is True  # nobody else's
    event = AuditEvent.objects.filter(action="user.keyboard_shortcuts").get()
    assert (event.actor_id, event.payload) == (demo["reviewer_nsa"].pk, {"before": True, "after": False})
    page = client.get(reverse("account_keyboard")).content.decode()
    assert "Single-key shortcuts are off." in page and "checked" not in page
    assert _shortcut_marks(client) == [False, False]

    client.post(reverse("account_keyboard"), {"keyboard_shortcuts": "on"})
    assert User.objects.get(pk=demo["reviewer_nsa"].pk).keyboard_shortcuts is True
    assert list(AuditEvent.objects.filter(action="user.keyboard_shortcuts").order_by("id").values_list("payload", flat=True)) == [
        {"before": True, "after": False}, {"before": False, "after": True},
    ]
    assert _shortcut_marks(client) == [True, True]
    assert User.objects.filter(keyboard_shortcuts=False).count() == 0


def test_another_users_pages_keep_their_own_setting(demo, login):
    User.objects.filter(pk=demo["reviewer_nsa"].pk).update(keyboard_shortcuts=False)
    assert _shortcut_marks(login(demo["lead_nsa"])) == [True, True]
    assert _shortcut_marks(login(demo["reviewer_nsa"])) == [False, False]


def test_saving_the_setting_unchanged_records_nothing(demo, login):
    response = login(demo["lead_nsa"]).post(reverse("account_keyboard"), {"keyboard_shortcuts": "on"})
    assert response.status_code == 302
    assert User.objects.get(pk=demo["lead_nsa"].pk).keyboard_shortcuts is True
    assert not AuditEvent.objects.filter(action="user.keyboard_shortcuts").exists()


def test_signed_out_visitors_are_sent_to_sign_in_and_change_nothing(demo, client):
    response = client.post(reverse("account_keyboard"), {})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not User.objects.filter(keyboard_shortcuts=False).exists()


def test_one_field_a_page_claims_the_slash(demo, login):
    """``aria-keyshortcuts="/"`` names the field "/" goes to: the header's on
    every page, the search page's own field on the search page (never both)."""
    client = login(demo["reviewer_nsa"])
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert dashboard.count('aria-keyshortcuts="/"') == 1
    assert 'id="header-search-q"' in dashboard.split('aria-keyshortcuts="/"')[0].rsplit("<input", 1)[1]
    search = client.get(reverse("search"), {"q": "atlas"}).content.decode()
    assert search.count('aria-keyshortcuts="/"') == 1
    assert 'id="search-q"' in search.split('aria-keyshortcuts="/"')[0].rsplit("<input", 1)[1]
