"""portal.loading: instances read through ``RowLoaded.from_db`` are the ones
Django's own ``from_db`` builds, and the cases it cannot build go Django's way."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.db.models.signals import post_init

from portal.loading import RowLoaded, plain_attnames
from reviews.models import Review

pytestmark = pytest.mark.django_db


def _row(instance) -> tuple[list[str], list]:
    """``instance``'s row as the database has it, in field order."""
    cls = type(instance)
    names = [f.attname for f in cls._meta.concrete_fields]
    values = cls._base_manager.filter(pk=instance.pk).values_list(*names).get()
    return names, list(values)


def _fields(instance) -> dict:
    return {k: v for k, v in instance.__dict__.items() if k != "_state"}


def test_every_row_loaded_model_is_built_directly():
    """Each model that asks for it qualifies (a field with its own descriptor would silently fall back)."""
    loaded = [m for m in apps.get_models() if issubclass(m, RowLoaded)]
    assert {m._meta.label for m in loaded} >= {"reviews.Review", "companies.AIModel", "companies.Company", "agencies.Agency"}
    assert [m._meta.label for m in loaded if plain_attnames(m) is None] == []
    # A field whose descriptor does more than keep the value (a file, a time
    # zone deserialised on assignment) is never written around.
    from django.contrib.auth import get_user_model

    from documents.models import DocumentVersion

    assert plain_attnames(DocumentVersion) is None and plain_attnames(get_user_model()) is None


def test_row_loaded_instances_equal_djangos_and_save_as_updates(demo):
    review = Review.objects.select_related("model", "company").get(pk=demo["atlas"].pk)
    assert type(review).from_db.__func__ is RowLoaded.from_db.__func__
    for instance in (review, review.model, review.company):
        names, values = _row(instance)
        built = models.Model.from_db.__func__(type(instance), "default", names, values)  # Django's way: __init__
        assert _fields(instance) == _fields(built) == dict(zip(names, values))
        assert (instance._state.adding, instance._state.db) == (False, "default") == (built._state.adding, built._state.db)
        assert instance.get_deferred_fields() == set()
    assert review.model.name == demo["atlas"].model.name and review.company_id == demo["atlas"].company_id

    before = Review.objects.count()
    review.summary = "Changed through a directly built instance."
    review.save(update_fields=["summary"])
    review.save()  # not adding: an UPDATE, never a second row
    assert Review.objects.count() == before
    assert Review.objects.get(pk=review.pk).summary == "Changed through a directly built instance."
    review.refresh_from_db()
    assert review.summary == "Changed through a directly built instance."


def test_row_loaded_defers_and_init_receivers_go_djangos_way(demo):
    partial = Review.objects.only("id", "status").get(pk=demo["atlas"].pk)
    assert "summary" in partial.get_deferred_fields() and "status" not in partial.get_deferred_fields()
    assert partial.summary == Review.objects.get(pk=demo["atlas"].pk).summary  # loaded when read

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Review)
    try:
        rows = list(Review.objects.filter(pk__in=[demo["atlas"].pk, demo["helix"].pk]).order_by("pk"))
    finally:
        post_init.disconnect(receiver, sender=Review)
    assert seen == [r.pk for r in rows] and len(rows) == 2
