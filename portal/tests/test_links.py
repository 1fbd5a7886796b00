"""portal.links: a link by id is what reverse() gives, under the script prefix
the portal is mounted under and the URLconf in force, however often asked."""

from __future__ import annotations

import pytest
from django.test.utils import override_settings
from django.urls import reverse, set_script_prefix

from portal.links import pk_url, pk_url_builder

NAMES = ("review_detail", "rfi_detail", "finding_detail", "document_detail", "assignment_detail", "review_sign_off")


@pytest.mark.parametrize("prefix", ["/", "/portal/", "/agency-x/portal/"])
def test_links_are_what_reverse_gives_under_each_script_prefix(prefix):
    set_script_prefix(prefix)
    try:
        for name in NAMES:
            for pk in (1, 42, 987654321):
                expected = reverse(name, kwargs={"pk": pk})
                assert expected.startswith(prefix)
                assert pk_url(name, pk) == expected
                assert pk_url_builder(name)(pk) == expected
    finally:
        set_script_prefix("/")


def test_links_follow_the_urlconf_in_force():
    assert pk_url("review_detail", 7) == "/reviews/7/"
    with override_settings(ROOT_URLCONF="portal.tests.urls_elsewhere"):
        assert pk_url("review_detail", 7) == reverse("review_detail", kwargs={"pk": 7}) == "/elsewhere/reviews/7/"
    assert pk_url("review_detail", 7) == "/reviews/7/"


def test_no_pattern_is_language_prefixed():
    """The kept links are per URLconf and script prefix, not per language:
    a language-prefixed pattern (i18n_patterns) would need the language in
    their key (portal.links)."""
    from django.urls import get_resolver
    from django.urls.resolvers import LocalePrefixPattern

    def walk(resolver):
        for entry in resolver.url_patterns:
            assert not isinstance(entry.pattern, LocalePrefixPattern), entry
            if hasattr(entry, "url_patterns"):
                walk(entry)

    walk(get_resolver())
