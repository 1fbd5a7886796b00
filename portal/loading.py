"""Model instances built from database rows without ``Model.__init__``.

A list page builds hundreds of instances (100 reviews, each with its model
and company: ~300); Django's ``from_db`` calls ``__init__``, which sets each
field through its descriptor (a foreign key's id through one that first
asks the instance's relation cache, built for the occasion) and sends
``pre_init`` and ``post_init``. For a row with every field loaded, the
result is an instance whose ``__dict__`` holds the fields' values and a
``ModelState`` saying "from ``db``, not adding": ``RowLoaded.from_db`` puts
exactly that there (about 1 ms of a 100-row list page at bench scale).

Only where it is the same thing: every concrete field's descriptor is a
plain ``DeferredAttribute`` or a foreign key's id (whose ``__set__`` only
drops a cached relation a new instance cannot have), the class keeps
``Model.__init__``, the row has every field (no ``defer``/``only``), and no
``pre_init``/``post_init`` receiver listens for the class (asked on every
call: a receiver connected later still runs). Anything else goes Django's
way. ``portal/tests/test_loading.py`` pins that both ways build equal
instances.
"""

from __future__ import annotations

from django.db import models
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

_PLAIN = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _descriptor(cls, attname: str):
    return next((klass.__dict__[attname] for klass in cls.__mro__ if attname in klass.__dict__), None)


def plain_attnames(cls) -> tuple[str, ...] | None:
    """The concrete fields' attribute names in row order, when building ``cls``
    by ``__dict__`` is what ``__init__`` does; None otherwise."""
    if cls.__init__ is not models.Model.__init__:
        return None
    names = []
    for field in cls._meta.concrete_fields:
        if type(_descriptor(cls, field.attname)) not in _PLAIN:
            return None
        names.append(field.attname)
    return tuple(names)


def _listened(cls) -> bool:
    """Whether a ``pre_init`` or ``post_init`` receiver listens for ``cls``
    (the signals' receiver lists are empty in the portal: a list's truth first,
    ``has_listeners`` only when there is someone to ask about)."""
    return bool(pre_init.receivers or post_init.receivers) and (pre_init.has_listeners(cls) or post_init.has_listeners(cls))


class RowLoaded(models.Model):
    """Abstract: instances read from the database are built directly (see the module)."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        names = cls.__dict__.get("_row_attnames", False)
        if names is False:  # worked out once per class (its own, not a parent's)
            names = plain_attnames(cls)
            cls._row_attnames = names
        if names is None or len(values) != len(names) or _listened(cls):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        state = ModelState()
        state.adding = False
        state.db = db
        attrs = new.__dict__
        attrs["_state"] = state
        attrs.update(zip(names, values))
        return new
