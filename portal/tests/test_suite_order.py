"""The suite's order (root conftest's ``pytest_collection_modifyitems``):
tests reading a module's world built once (``module_rollback``) run first,
each module's together and in its own order, so under worksteal the world
is built on one worker only; every other test keeps pytest's order."""

from __future__ import annotations

from types import SimpleNamespace

import conftest


def _item(name: str, *fixtures: str):
    return SimpleNamespace(name=name, fixturenames=["db", *fixtures])


def test_tests_sharing_a_module_world_run_first_and_together():
    items = [
        _item("a1"), _item("plan1", "seeded", "module_rollback"), _item("a2"),
        _item("plan2", "seeded", "module_rollback"), _item("counts1", "worlds", "module_rollback"), _item("b1"),
        SimpleNamespace(name="doctest"),  # an item with no fixtures at all
    ]
    conftest.pytest_collection_modifyitems(None, items)
    assert [item.name for item in items] == ["plan1", "plan2", "counts1", "a1", "a2", "b1", "doctest"]
