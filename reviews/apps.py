from django.apps import AppConfig


def _visible_reviews(user):
    from .models import Review

    return Review.objects.visible_to(user)


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from companies.querysets import use_review_scope

        # Companies and models are visible through the reviews one may see.
        use_review_scope(_visible_reviews)
