"""Who sees which companies and models.

Taking part in a review is confidential, so an agency user sees a company or
a model only through a review they may see. Reviews are a layer above
companies (reviews belong to a company's model), so the review scoping is
plugged in from above: ``reviews`` calls ``use_review_scope`` when the app
registry is ready (``reviews.apps``), and these querysets ask it.
"""

from __future__ import annotations

from typing import Callable

from django.db import models

from portal.scoping import user_may_see_anything

_review_scope: Callable | None = None


def use_review_scope(scope: Callable) -> None:
    """``scope(user)`` → the reviews ``user`` may see (``Review.objects.visible_to``)."""
    global _review_scope
    _review_scope = scope


def _visible_reviews(user):
    if _review_scope is None:  # pragma: no cover - set by reviews.apps at start-up
        raise RuntimeError("The review scope is not plugged in: is the reviews app installed?")
    return _review_scope(user)


class AIModelQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A liaison sees their company's models; agency users see the models
        of reviews they can see (access follows the review, so there is no
        second set of grants to keep in step); admins see all."""
        if not user_may_see_anything(user):
            return self.none()
        if user.is_program_admin:
            return self.all()
        if user.is_company_liaison:
            return self.filter(company_id=user.company_id)
        return self.filter(pk__in=_visible_reviews(user).values("model_id"))


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Taking part is confidential: agency users see only companies whose
        reviews they can see."""
        if not user_may_see_anything(user):
            return self.none()
        if user.is_program_admin:
            return self.all()
        if user.is_company_liaison:
            return self.filter(pk=user.company_id)
        return self.filter(pk__in=_visible_reviews(user).values("company_id"))
