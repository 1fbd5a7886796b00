"""The bench users, signed in as the test suite signs people in."""

from __future__ import annotations


def signed_in(user):
    """A test client with ``user`` enrolled in TOTP and logged in (a real session row)."""
    from django.test import Client

    from journeys.browser import force_login_mfa

    client = Client()
    force_login_mfa(client, user)
    return client
