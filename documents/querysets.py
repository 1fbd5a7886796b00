"""Document visibility follows the review: one way in, no second set of grants."""

from __future__ import annotations

from django.db import models

from reviews.querysets import in_visible_reviews


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        """Documents of the reviews ``user`` sees (``review``: of that one only).
        Evidence of findings is never among them: it follows its finding (findings app)."""
        return in_visible_reviews(self.filter(purpose="review"), user, review=review)


class DocumentVersionQuerySet(models.QuerySet):
    def visible_to(self, user, *, review=None):
        return in_visible_reviews(self.filter(document__purpose="review"), user, path="document__review", review=review)
