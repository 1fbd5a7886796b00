from django.apps import AppConfig


def _visible_reviews(user):
    from .models import Review

    return Review.objects.visible_to(user)


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from accounts.hooks import on_reviewer_left_agency
        from companies.querysets import use_review_scope

        from .services.assignments import assignments_end_for_departed_reviewer

        # Companies and models are visible through the reviews one may see.
        use_review_scope(_visible_reviews)
        # A reviewer who moves to another agency or role leaves their reviews.
        on_reviewer_left_agency(assignments_end_for_departed_reviewer)
