"""The review page sends its six lists' statements together on the request
thread's second connection (``portal.ahead``): for every demo role and demo
review it may open, the page lists what it lists read in turn."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import DEMO_REVIEWS, DEMO_ROLES
from reviews import selectors

pytestmark = pytest.mark.django_db(transaction=True)

LISTS = ("agencies", "sign_offs", "extensions", "assignments", "certificates", "timeline")


def _listed(context) -> dict:
    return {name: [(type(row).__name__, row.pk, str(row)) for row in context[name]] for name in LISTS}


def test_every_roles_review_page_lists_what_it_lists_in_turn(demo, read_ahead, client, login, sent_ahead, settings):
    sent = sent_ahead
    opened = 0
    for role in DEMO_ROLES:
        user = demo[role]
        login(user)
        for key in DEMO_REVIEWS:
            url = reverse("review_detail", args=[demo[key].pk])
            sent.clear()
            response = client.get(url)
            if response.status_code != 200 or "agencies" not in response.context:
                continue  # out of scope (404) or the terms page
            ahead_lists = _listed(response.context)
            assert sent, (role, key)
            settings.PORTAL_READ_AHEAD = False
            try:
                page = selectors.review_detail_get(user=user, pk=demo[key].pk)
                in_turn = selectors.review_page_rows(user=user, standing=page.standing)
            finally:
                settings.PORTAL_READ_AHEAD = True
            assert ahead_lists == {name: [(type(r).__name__, r.pk, str(r)) for r in in_turn[name]] for name in LISTS}, (role, key)
            opened += 1
    assert opened >= len(DEMO_ROLES)
