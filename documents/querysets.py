"""Document visibility follows the review: one way in, no second set of grants."""

from __future__ import annotations

from django.db import models

from reviews.querysets import review_ids_granted, user_may_see_anything


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user_may_see_anything(user):
            return self.none()
        if user.is_program_admin:
            return self.all()
        return self.filter(review_id__any_of=review_ids_granted(user, "view_review"))


class DocumentVersionQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user_may_see_anything(user):
            return self.none()
        if user.is_program_admin:
            return self.all()
        return self.filter(document__review_id__any_of=review_ids_granted(user, "view_review"))
