"""``model_list_first``: the first models a user sees, through a statement
kept per reader — exactly what ``visible_to`` finds, for every demo role,
the second time as the first, and judged at each call's moment."""

from __future__ import annotations

import pytest

from companies.models import AIModel
from companies.selectors import model_list_first
from conftest import DEMO_ROLES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_statement_cache")]


def _names(models) -> list[str]:
    return [f"{m.name} {m.version}" for m in models]


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_model_list_first_is_the_roles_visible_models_by_name(demo, role):
    user = demo[role]
    expected = _names(AIModel.objects.visible_to(user).order_by("name", "version", "id"))
    assert _names(model_list_first(user=user, limit=10)) == expected
    assert _names(model_list_first(user=user, limit=10)) == expected  # through the kept statement
    assert _names(model_list_first(user=user, limit=1)) == expected[:1]


def test_model_list_first_never_answers_for_another_company(demo):
    northwind, contoso = demo["liaison_northwind"], demo["liaison_contoso"]
    for _ in range(2):
        mine = {m.company_id for m in model_list_first(user=northwind, limit=10)}
        theirs = {m.company_id for m in model_list_first(user=contoso, limit=10)}
        assert mine == {northwind.membership.company_id} and theirs == {contoso.membership.company_id}


def test_model_list_first_judges_a_grant_at_each_calls_moment(demo):
    """A reviewer whose only access is an expiring grant sees the review's model while it lasts and not after."""
    import time_machine
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Role
    from accounts.tests.factories import make_user
    from reviews.services import access_grant

    atlas = demo["atlas"]
    reviewer = make_user(role=Role.AGENCY_REVIEWER, org=demo["nsa"])
    soon = timezone.now() + timedelta(hours=1)
    access_grant(review=atlas, codename="view_review", actor=demo["admin"], reason="t", user=reviewer, expires_at=soon)
    for _ in range(2):
        assert [m.pk for m in model_list_first(user=reviewer, limit=10)] == [atlas.model_id]
    with time_machine.travel(soon + timedelta(seconds=1)):
        assert model_list_first(user=reviewer, limit=10) == []
