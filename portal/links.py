"""Links to objects by id, reversed once per URL pattern.

``reverse()`` resolves a pattern on every call (~27 µs here): a dashboard's
to-do list or a page of search hits reversed 20-40 links a visit. A
pattern with one ``pk`` argument is reversed once with a stand-in id, per
URLconf and script prefix (the path the portal is mounted under, set per
request), and each link is that text with the id put in."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# A number no object reaches (the largest 32-bit id).
_MARK = 2_147_483_647


def pk_url(name: str, pk) -> str:
    """``reverse(name, kwargs={"pk": pk})``."""
    url, mark = _template(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return url.replace(mark, str(pk))


def pk_url_builder(name: str) -> Callable[[object], str]:
    """``pk -> pk_url(name, pk)`` with the pattern looked up once (a table's rows)."""
    url, mark = _template(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return lambda pk: url.replace(mark, str(pk))


@lru_cache(maxsize=512)
def _template(name: str, prefix: str, urlconf: str) -> tuple[str, str]:
    # ``prefix`` is what reverse() reads itself; it is part of the key only.
    return reverse(name, kwargs={"pk": _MARK}, urlconf=urlconf), str(_MARK)
