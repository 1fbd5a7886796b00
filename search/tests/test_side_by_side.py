"""A search reads its four kinds side by side on their own connections
(``portal.parallel``) where that is safe: for every demo role and walk it
finds exactly what it finds reading them in turn, and the kinds did run on
the pool's threads."""

from __future__ import annotations

import threading

import pytest

from conftest import DEMO_ROLES
from search import selectors
from search.selectors import Filters, search

pytestmark = pytest.mark.django_db(transaction=True)


def _found(user, text, filters=Filters()):
    return [
        (s.kind, s.count, [(h.title, h.url, str(h.snippet), h.detail, h.review.pk) for h in s.hits])
        for s in search(user=user, text=text, filters=filters).sections
    ]


def test_a_search_side_by_side_finds_what_it_finds_in_turn(demo, material, walk, parallel_reads, monkeypatch):
    threads: dict[str, set[int]] = {"rfi": set(), "finding": set()}
    for kind, name in (("rfi", "_rfis"), ("finding", "_findings")):
        real = getattr(selectors, name)

        def spy(*args, _real=real, _kind=kind, **kwargs):
            threads[_kind].add(threading.get_ident())
            return _real(*args, **kwargs)

        monkeypatch.setattr(selectors, name, spy)
    queries = ["zircon", "obsidian", "marmalade", "lanthanum", "Atlas", "lab notes", '"red team" or zircon', "evalu*"]
    for role in DEMO_ROLES:
        user = demo[role]
        with parallel_reads.one_after_another():
            in_turn = [_found(user, q) for q in queries]
            in_turn_one_kind = _found(user, "marmalade", Filters(kinds=("rfi",)))
        assert [_found(user, q) for q in queries] == in_turn, role
        assert _found(user, "marmalade", Filters(kinds=("rfi",))) == in_turn_one_kind, role
    assert any(count for result in in_turn for _, count, _ in result)
    main = threading.get_ident()
    # Read in turn on this thread, and side by side on the pool's.
    assert main in threads["rfi"] and threads["rfi"] - {main} and threads["finding"] - {main}
