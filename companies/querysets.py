from django.db import models


class AIModelQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A liaison sees their company's models; agency users see the models
        of reviews they can see (access follows the review, so there is no
        second set of grants to keep in step); admins see all."""
        from reviews.models import Review
        from reviews.querysets import user_may_see_anything

        if not user_may_see_anything(user):
            return self.none()
        if user.is_program_admin:
            return self.all()
        if user.is_company_liaison:
            return self.filter(company_id=user.company_id)
        return self.filter(pk__in=Review.objects.visible_to(user).values("model_id"))


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Taking part is confidential: agency users see only companies whose
        reviews they can see."""
        from reviews.models import Review
        from reviews.querysets import user_may_see_anything

        if not user_may_see_anything(user):
            return self.none()
        if user.is_program_admin:
            return self.all()
        if user.is_company_liaison:
            return self.filter(pk=user.company_id)
        return self.filter(pk__in=Review.objects.visible_to(user).values("company_id"))
